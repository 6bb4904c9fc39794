import { BanDialog } from './ban-dialog.component.ts';

export { BanDialog };

customElements.define('ban-dialog', BanDialog);

declare global {
  interface HTMLElementTagNameMap {
    'ban-dialog': BanDialog;
  }
}
