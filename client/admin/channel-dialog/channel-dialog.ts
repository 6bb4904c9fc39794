import { ChannelDialog } from './channel-dialog.component.ts';

export { ChannelDialog };

customElements.define('channel-dialog', ChannelDialog);

declare global {
  interface HTMLElementTagNameMap {
    'channel-dialog': ChannelDialog;
  }
}
