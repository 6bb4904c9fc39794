/**
 * <voice-controls>: the user's own voice — mute and deafen, voice activation
 * or push-to-talk (with its key), the microphone level with the activation
 * threshold on it. Push-to-talk itself is handled by the app's
 * PushToTalkController; this binds the key.
 *
 * Test hooks: buttons "Mute"/"Unmute" and "Deafen"/"Undeafen"; radios
 * "Voice activation" and "Push-to-talk"; range "Voice activation threshold";
 * button "Change push-to-talk key".
 *
 * Events: `voice-toggle-mute`, `voice-toggle-deaf`, `voice-settings-change`
 * (Partial<AudioSettings>: apply and remember), `voice-settings-preview` (the
 * threshold slider while it moves: apply only; a change follows on release).
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import type { AudioEngine } from '../../audio/audio-engine.ts';
import { DEFAULT_AUDIO_SETTINGS, type AudioSettings, type TransmitMode } from '../../audio/engine-api.ts';
import { keyName } from '../controllers/push-to-talk-controller.ts';
import { headphonesIcon, headphonesOffIcon, micIcon, micOffIcon } from '../shared/icons.ts';
import { METER_FLOOR_DB } from '../level-meter/level-meter.component.ts';
import { styles } from './voice-controls.styles.ts';
import '../level-meter/level-meter.ts';

export const PTT_FOCUS_NOTE = 'Push-to-talk works while this page has focus — browsers give web pages no system-wide hotkeys.';

export class VoiceControls extends LitElement {
  static override styles = styles;
  static override properties = {
    engine: { attribute: false },
    settings: { attribute: false },
    muted: { type: Boolean },
    deafened: { type: Boolean },
    pttDown: { type: Boolean, attribute: 'ptt-down' },
    capturing: { state: true },
  };

  declare engine: AudioEngine | null;
  declare settings: AudioSettings;
  declare muted: boolean;
  declare deafened: boolean;
  /** The push-to-talk key is held. */
  declare pttDown: boolean;
  /** Waiting for the key to bind. */
  declare capturing: boolean;

  constructor() {
    super();
    this.engine = null;
    this.settings = { ...DEFAULT_AUDIO_SETTINGS };
    this.muted = false;
    this.deafened = false;
    this.pttDown = false;
    this.capturing = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopCapture();
  }

  #emit(type: 'voice-toggle-mute' | 'voice-toggle-deaf'): void {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true }));
  }

  #change(partial: Partial<AudioSettings>, type: 'voice-settings-change' | 'voice-settings-preview' = 'voice-settings-change'): void {
    this.dispatchEvent(new CustomEvent<Partial<AudioSettings>>(type, { detail: partial, bubbles: true, composed: true }));
  }

  readonly #threshold = (e: Event): void => {
    const partial = { vadThresholdDb: Number((e.target as HTMLInputElement).value) };
    this.#change(partial, e.type === 'input' ? 'voice-settings-preview' : 'voice-settings-change');
  };

  #startCapture(): void {
    this.capturing = true;
    // Capture phase on window: runs before the push-to-talk listener, which must not see this key.
    window.addEventListener('keydown', this.#onCaptureKey, true);
    window.addEventListener('blur', this.#onCaptureBlur);
  }

  #stopCapture(): void {
    this.capturing = false;
    window.removeEventListener('keydown', this.#onCaptureKey, true);
    window.removeEventListener('blur', this.#onCaptureBlur);
  }

  readonly #onCaptureKey = (e: KeyboardEvent): void => {
    e.preventDefault();
    e.stopImmediatePropagation();
    // Escape cancels; Tab stays the way to move focus.
    if (e.code !== 'Escape' && e.code !== 'Tab' && e.code !== '') this.#change({ pttKey: e.code });
    this.#stopCapture();
  };

  readonly #onCaptureBlur = (): void => this.#stopCapture();

  #mode(mode: TransmitMode): void {
    if (mode !== this.settings.mode) this.#change({ mode });
  }

  override render(): TemplateResult {
    const s = this.settings;
    const vad = s.mode === 'vad';
    return html`
      <h2 class="visually-hidden">Your voice</h2>
      <div class="self">
        <button class="toggle ${this.muted ? 'on' : ''}" @click=${() => this.#emit('voice-toggle-mute')}>
          ${this.muted ? micOffIcon : micIcon}<span>${this.muted ? 'Unmute' : 'Mute'}</span>
        </button>
        <button class="toggle ${this.deafened ? 'on' : ''}" @click=${() => this.#emit('voice-toggle-deaf')}>
          ${this.deafened ? headphonesOffIcon : headphonesIcon}<span>${this.deafened ? 'Undeafen' : 'Deafen'}</span>
        </button>
      </div>
      <fieldset class="mode">
        <legend>Transmit</legend>
        <label><input type="radio" name="mode" value="vad" .checked=${vad} @change=${() => this.#mode('vad')} />Voice activation</label>
        <label><input type="radio" name="mode" value="ptt" .checked=${!vad} @change=${() => this.#mode('ptt')} />Push-to-talk</label>
      </fieldset>
      ${vad ? nothing : this.#ptt()}
      <div class="level">
        <div class="level-head">
          <span>Microphone</span>
          ${this.muted ? html`<span class="state off">muted</span>` : nothing}
          ${!vad && this.pttDown && !this.muted ? html`<span class="state live">talking</span>` : nothing}
        </div>
        <level-meter .engine=${this.engine} .thresholdDb=${s.vadThresholdDb} ?show-threshold=${vad}></level-meter>
        ${vad
          ? html`<div class="threshold">
                <label for="threshold">Voice activation threshold</label>
                <output for="threshold">${s.vadThresholdDb} dB</output>
              </div>
              <input
                id="threshold"
                type="range"
                min=${METER_FLOOR_DB}
                max="0"
                step="1"
                .value=${String(s.vadThresholdDb)}
                @input=${this.#threshold}
                @change=${this.#threshold}
              />
              <p class="hint">Speak normally: the bar turns green above the line, and others hear you.</p>`
          : nothing}
      </div>
    `;
  }

  #ptt(): TemplateResult {
    return html`<div class="ptt">
      <div class="ptt-key">
        <span>Key</span>
        <kbd class=${this.pttDown ? 'down' : ''}>${this.capturing ? 'press a key…' : keyName(this.settings.pttKey)}</kbd>
        <button
          class="quiet"
          aria-label=${this.capturing ? 'Press the new push-to-talk key, Escape to cancel' : 'Change push-to-talk key'}
          @click=${() => (this.capturing ? this.#stopCapture() : this.#startCapture())}
        >
          ${this.capturing ? 'Cancel' : 'Change'}
        </button>
      </div>
      <p class="hint">${PTT_FOCUS_NOTE}</p>
    </div>`;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'voice-toggle-mute': CustomEvent<undefined>;
    'voice-toggle-deaf': CustomEvent<undefined>;
    'voice-settings-change': CustomEvent<Partial<AudioSettings>>;
    'voice-settings-preview': CustomEvent<Partial<AudioSettings>>;
  }
}
