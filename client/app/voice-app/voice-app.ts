/** Registers <voice-app> and every element it renders. */
import '../connect-view/connect-view.ts';
import '../channel-tree/channel-tree.ts';
import '../chat-panel/chat-panel.ts';
import '../voice-controls/voice-controls.ts';
import '../settings-panel/settings-panel.ts';
import '../user-menu/user-menu.ts';
import '../password-dialog/password-dialog.ts';
import { VoiceApp } from './voice-app.component.ts';

export { VoiceApp };

customElements.define('voice-app', VoiceApp);

declare global {
  interface HTMLElementTagNameMap {
    'voice-app': VoiceApp;
  }
}
