/**
 * <level-meter>: the microphone level from the engine's reports, with the
 * voice-activation threshold drawn on it. Reports come ~20 times a second,
 * so they never re-render: they write two custom properties and two host
 * attributes through the CSSOM (allowed by the CSP, unlike style attributes).
 *
 * Host attributes for styling and tests: `open` (green: the gate is open
 * with voice activation, frames go out with push-to-talk), `transmitting`
 * (frames are going out).
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { AudioEngine } from '../../audio/audio-engine.ts';
import type { LevelReport } from '../../audio/engine-api.ts';
import { EmitterSubscription } from '../controllers/emitter-subscription.ts';
import { styles } from './level-meter.styles.ts';

/** The meter's scale, dBFS; the threshold slider spans the same range. */
export const METER_FLOOR_DB = -80;

/** Position of a level on the meter, 0..1. */
export function meterFraction(db: number): number {
  return Math.min(1, Math.max(0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB));
}

export class LevelMeter extends LitElement {
  static override styles = styles;
  static override properties = {
    engine: { attribute: false },
    thresholdDb: { type: Number, attribute: 'threshold-db' },
    showThreshold: { type: Boolean, attribute: 'show-threshold' },
  };

  declare engine: AudioEngine | null;
  declare thresholdDb: number;
  declare showThreshold: boolean;
  #lastDb = Number.NaN;

  readonly #sub = new EmitterSubscription<AudioEngine>(this, (e) => [e.on('level', (r) => this.#onLevel(r))]);

  constructor() {
    super();
    this.engine = null;
    this.thresholdDb = -50;
    this.showThreshold = true;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('engine')) {
      this.#sub.follow(this.engine);
      if (!this.engine) this.#onLevel({ inputDb: -100, vadOpen: false, transmitting: false, speaking: [], outputDb: -100 });
    }
    if (changed.has('thresholdDb')) this.style.setProperty('--threshold', String(meterFraction(this.thresholdDb)));
  }

  #onLevel(r: LevelReport): void {
    // Green means "others hear this": the gate with voice activation, the key with push-to-talk.
    this.toggleAttribute('open', this.showThreshold ? r.vadOpen : r.transmitting);
    this.toggleAttribute('transmitting', r.transmitting);
    const db = Math.round(r.inputDb);
    if (db === this.#lastDb) return;
    this.#lastDb = db;
    this.style.setProperty('--level', String(meterFraction(db)));
    const meter = this.renderRoot.querySelector('.meter');
    meter?.setAttribute('aria-valuenow', String(Math.max(METER_FLOOR_DB, Math.min(0, db))));
    meter?.setAttribute('aria-valuetext', db <= METER_FLOOR_DB ? 'silent' : `${db} dB`);
  }

  override render(): TemplateResult {
    return html`<div class="meter" role="meter" aria-label="Microphone level" aria-valuemin=${METER_FLOOR_DB} aria-valuemax="0" aria-valuenow=${METER_FLOOR_DB} aria-valuetext="silent">
      <div class="fill"></div>
      ${this.showThreshold ? html`<div class="threshold" title="Voice activation threshold: ${this.thresholdDb} dB"></div>` : nothing}
    </div>`;
  }
}
