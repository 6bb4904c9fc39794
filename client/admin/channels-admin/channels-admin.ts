import '../channel-dialog/channel-dialog.ts';
import '../confirm-dialog/confirm-dialog.ts';
import { ChannelsAdmin } from './channels-admin.component.ts';

export { ChannelsAdmin };

customElements.define('channels-admin', ChannelsAdmin);

declare global {
  interface HTMLElementTagNameMap {
    'channels-admin': ChannelsAdmin;
  }
}
