import { PasswordDialog } from './password-dialog.component.ts';

export { PasswordDialog };

customElements.define('password-dialog', PasswordDialog);

declare global {
  interface HTMLElementTagNameMap {
    'password-dialog': PasswordDialog;
  }
}
