import { LoginForm } from './login-form.component.ts';

export { LoginForm };

customElements.define('login-form', LoginForm);

declare global {
  interface HTMLElementTagNameMap {
    'login-form': LoginForm;
  }
}
