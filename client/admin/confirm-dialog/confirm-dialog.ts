import { ConfirmDialog } from './confirm-dialog.component.ts';

export { ConfirmDialog };

customElements.define('confirm-dialog', ConfirmDialog);

declare global {
  interface HTMLElementTagNameMap {
    'confirm-dialog': ConfirmDialog;
  }
}
