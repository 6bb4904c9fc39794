import { ChannelTree } from './channel-tree.component.ts';

export { ChannelTree };

customElements.define('channel-tree', ChannelTree);

declare global {
  interface HTMLElementTagNameMap {
    'channel-tree': ChannelTree;
  }
}
