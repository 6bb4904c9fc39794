import '../reset-password-dialog/reset-password-dialog.ts';
import '../confirm-dialog/confirm-dialog.ts';
import { UsersAdmin } from './users-admin.component.ts';

export { UsersAdmin };

customElements.define('users-admin', UsersAdmin);

declare global {
  interface HTMLElementTagNameMap {
    'users-admin': UsersAdmin;
  }
}
