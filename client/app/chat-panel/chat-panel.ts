import { ChatPanel } from './chat-panel.component.ts';

export { ChatPanel };

customElements.define('chat-panel', ChatPanel);

declare global {
  interface HTMLElementTagNameMap {
    'chat-panel': ChatPanel;
  }
}
