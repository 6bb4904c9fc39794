import { ConnectView } from './connect-view.component.ts';

export { ConnectView };

customElements.define('connect-view', ConnectView);

declare global {
  interface HTMLElementTagNameMap {
    'connect-view': ConnectView;
  }
}
