import { LevelMeter } from './level-meter.component.ts';

export { LevelMeter };

customElements.define('level-meter', LevelMeter);

declare global {
  interface HTMLElementTagNameMap {
    'level-meter': LevelMeter;
  }
}
