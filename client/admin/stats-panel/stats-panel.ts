import { StatsPanel } from './stats-panel.component.ts';

export { StatsPanel };

customElements.define('stats-panel', StatsPanel);

declare global {
  interface HTMLElementTagNameMap {
    'stats-panel': StatsPanel;
  }
}
