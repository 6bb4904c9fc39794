import { SettingsPanel } from './settings-panel.component.ts';

export { SettingsPanel };

customElements.define('settings-panel', SettingsPanel);

declare global {
  interface HTMLElementTagNameMap {
    'settings-panel': SettingsPanel;
  }
}
