import { KickDialog } from './kick-dialog.component.ts';

export { KickDialog };

customElements.define('kick-dialog', KickDialog);

declare global {
  interface HTMLElementTagNameMap {
    'kick-dialog': KickDialog;
  }
}
