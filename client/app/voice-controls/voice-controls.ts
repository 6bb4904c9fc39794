import { VoiceControls } from './voice-controls.component.ts';

export { VoiceControls };

customElements.define('voice-controls', VoiceControls);

declare global {
  interface HTMLElementTagNameMap {
    'voice-controls': VoiceControls;
  }
}
