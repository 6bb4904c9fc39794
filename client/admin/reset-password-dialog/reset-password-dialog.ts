import { ResetPasswordDialog } from './reset-password-dialog.component.ts';

export { ResetPasswordDialog };

customElements.define('reset-password-dialog', ResetPasswordDialog);

declare global {
  interface HTMLElementTagNameMap {
    'reset-password-dialog': ResetPasswordDialog;
  }
}
