/**
 * <settings-panel>: audio devices and processing, folded away until asked
 * for. Devices are listed when the panel opens and whenever the system's
 * set changes; labels appear once the page may use the microphone.
 *
 * Test hooks: summary "Audio settings"; selects "Microphone" and "Speaker";
 * checkboxes "Echo cancellation", "Noise suppression", "Automatic gain
 * control"; radios "Adaptive" and "Fixed (40 ms)".
 *
 * Events: `voice-settings-change` (Partial<AudioSettings>).
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import type { AudioEngine } from '../../audio/audio-engine.ts';
import { DEFAULT_AUDIO_SETTINGS, type AudioDevices, type AudioSettings } from '../../audio/engine-api.ts';
import { styles } from './settings-panel.styles.ts';

type Flag = 'echoCancellation' | 'noiseSuppression' | 'autoGainControl';

const FLAGS: readonly { key: Flag; label: string }[] = [
  { key: 'echoCancellation', label: 'Echo cancellation' },
  { key: 'noiseSuppression', label: 'Noise suppression' },
  { key: 'autoGainControl', label: 'Automatic gain control' },
];

export class SettingsPanel extends LitElement {
  static override styles = styles;
  static override properties = {
    engine: { attribute: false },
    settings: { attribute: false },
    devices: { state: true },
    open: { state: true },
  };

  declare engine: AudioEngine | null;
  declare settings: AudioSettings;
  declare devices: AudioDevices | null;
  declare open: boolean;

  constructor() {
    super();
    this.engine = null;
    this.settings = { ...DEFAULT_AUDIO_SETTINGS };
    this.devices = null;
    this.open = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    navigator.mediaDevices?.addEventListener('devicechange', this.#refresh);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    navigator.mediaDevices?.removeEventListener('devicechange', this.#refresh);
  }

  readonly #refresh = (): void => {
    if (!this.open || !this.engine) return;
    this.engine.listDevices().then(
      (devices) => (this.devices = devices),
      (error: Error) => console.warn('[settings] could not list audio devices:', error),
    );
  };

  #change(partial: Partial<AudioSettings>): void {
    this.dispatchEvent(new CustomEvent<Partial<AudioSettings>>('voice-settings-change', { detail: partial, bubbles: true, composed: true }));
  }

  readonly #onToggle = (e: Event): void => {
    this.open = (e.target as HTMLDetailsElement).open;
    this.#refresh();
  };

  #select(id: string, label: string, chosen: string, list: AudioDevices['inputs'], disabled: boolean, pick: (deviceId: string) => void): TemplateResult {
    // Chromium lists a 'default' entry of its own; '' (our default) stands for it.
    const devices = list.filter((d) => d.deviceId !== 'default' && d.deviceId !== '');
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <select id=${id} ?disabled=${disabled} @change=${(e: Event) => pick((e.target as HTMLSelectElement).value)}>
        <option value="" ?selected=${chosen === ''}>System default</option>
        ${devices.map((d) => html`<option value=${d.deviceId} ?selected=${d.deviceId === chosen}>${d.label}</option>`)}
        ${chosen && !devices.some((d) => d.deviceId === chosen) ? html`<option value=${chosen} selected>Saved device (not present)</option>` : nothing}
      </select>
    </div>`;
  }

  override render(): TemplateResult {
    const s = this.settings;
    const d = this.devices;
    const outputSelectable = d?.outputSelectable ?? true;
    return html`<details @toggle=${this.#onToggle}>
      <summary>Audio settings</summary>
      <div class="body">
        ${this.#select('input', 'Microphone', s.inputDeviceId, d?.inputs ?? [], false, (inputDeviceId) => this.#change({ inputDeviceId }))}
        ${this.#select('output', 'Speaker', s.outputDeviceId, d?.outputs ?? [], !outputSelectable, (outputDeviceId) => this.#change({ outputDeviceId }))}
        ${outputSelectable ? nothing : html`<p class="hint">This browser always plays through the system's default output, so the speaker cannot be chosen here.</p>`}
        <fieldset>
          <legend>Microphone processing</legend>
          ${FLAGS.map(
            (f) => html`<label><input type="checkbox" .checked=${s[f.key]} @change=${(e: Event) => this.#change({ [f.key]: (e.target as HTMLInputElement).checked })} />${f.label}</label>`,
          )}
        </fieldset>
        <fieldset>
          <legend>Playout buffer</legend>
          <label><input type="radio" name="playout" .checked=${s.playout === 'adaptive'} @change=${() => this.#change({ playout: 'adaptive' })} />Adaptive</label>
          <label><input type="radio" name="playout" .checked=${s.playout === 'fixed'} @change=${() => this.#change({ playout: 'fixed' })} />Fixed (40 ms)</label>
          <p class="hint">Adaptive follows the network's jitter: lower delay on good links, fewer gaps on poor ones.</p>
        </fieldset>
      </div>
    </details>`;
  }
}
