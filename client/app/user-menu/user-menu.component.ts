/**
 * <user-menu>: what this user hears of one other person — volume 0–200 %
 * and a local mute. A non-modal <dialog> (Escape or a press outside closes
 * it, focus returns to the person's row; the rest of the page stays usable). Changes apply as they
 * are made; the app remembers them per nickname (the volume once the slider is let go).
 *
 * Test hooks: range "Volume for <nickname>", checkbox "Mute <nickname>".
 *
 * Events: `voice-user-prefs` { user, prefs } (apply and remember), `voice-user-prefs-preview`
 * { user, prefs } (the volume slider while it moves: apply only), `voice-menu-close`.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { UserInfo } from '../../../shared/control/protocol.ts';
import { DEFAULT_USER_PREFS, type UserPrefs } from '../storage/user-prefs-store.ts';
import { DialogController } from '../controllers/dialog-controller.ts';
import { closeIcon } from '../shared/icons.ts';
import { styles } from './user-menu.styles.ts';

/** Below this viewport width the menu is centred instead of hanging off the row. */
const MIN_ANCHORED_WIDTH = 641;
/** Roughly the menu's size (22rem wide), to keep an anchored menu on screen. */
const MENU_HEIGHT_PX = 270;
const MENU_WIDTH_PX = 352;

export class UserMenu extends LitElement {
  static override styles = styles;
  static override properties = {
    user: { attribute: false },
    prefs: { attribute: false },
    anchor: { attribute: false },
  };

  /** The person the menu is for; null closes it. */
  declare user: UserInfo | null;
  declare prefs: UserPrefs;
  /** The person's row: the menu opens beside (or below) it on wide screens, centred on narrow ones. */
  declare anchor: DOMRect | null;

  constructor() {
    super();
    this.user = null;
    this.prefs = { ...DEFAULT_USER_PREFS };
    this.anchor = null;
  }

  readonly #dialog = new DialogController(this, () => this.renderRoot.querySelector('dialog'), { lightDismiss: true });

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('user')) return;
    this.#place();
    this.#dialog.sync(this.user !== null);
  }

  /** Custom properties through the CSSOM: the CSP allows these, not style attributes. */
  #place(): void {
    const a = this.anchor;
    const room = a !== null && window.innerWidth >= MIN_ANCHORED_WIDTH;
    this.toggleAttribute('anchored', room);
    if (!a || !room) return;
    // Beside the row, so the tree stays in view and clickable; below it when there is no room beside.
    const beside = a.right + 8 + MENU_WIDTH_PX <= window.innerWidth;
    const top = Math.max(8, Math.min(beside ? a.top - 12 : a.bottom + 4, window.innerHeight - MENU_HEIGHT_PX));
    this.style.setProperty('--menu-top', `${Math.round(top)}px`);
    this.style.setProperty('--menu-left', `${Math.round(beside ? a.right + 8 : Math.max(8, a.left))}px`);
  }

  #set(prefs: UserPrefs, type: 'voice-user-prefs' | 'voice-user-prefs-preview' = 'voice-user-prefs'): void {
    if (!this.user) return;
    this.dispatchEvent(new CustomEvent(type, { detail: { user: this.user, prefs }, bubbles: true, composed: true }));
  }

  readonly #volume = (e: Event): void => {
    const prefs = { ...this.prefs, volume: Number((e.target as HTMLInputElement).value) };
    this.#set(prefs, e.type === 'input' ? 'voice-user-prefs-preview' : 'voice-user-prefs');
  };

  readonly #onClose = (): void => {
    this.dispatchEvent(new CustomEvent('voice-menu-close', { bubbles: true, composed: true }));
  };

  override render(): TemplateResult {
    const u = this.user;
    const p = this.prefs;
    return html`<dialog aria-labelledby="user-menu-title" @close=${this.#onClose}>
      ${u
        ? html`<div class="panel">
            <div class="head">
              <h2 id="user-menu-title">${u.nickname}</h2>
              <button class="quiet close" aria-label="Close" title="Close" @click=${() => this.#dialog.close()}>${closeIcon}</button>
            </div>
            <div class="field">
              <div class="line">
                <label for="volume">Volume for ${u.nickname}</label>
                <output for="volume">${p.volume} %</output>
              </div>
              <input
                id="volume"
                type="range"
                min="0"
                max="200"
                step="5"
                list="volume-marks"
                .value=${String(p.volume)}
                ?disabled=${p.muted}
                @input=${this.#volume}
                @change=${this.#volume}
              />
              <datalist id="volume-marks"><option value="100"></option></datalist>
            </div>
            <label class="check">
              <input type="checkbox" .checked=${p.muted} @change=${(e: Event) => this.#set({ ...p, muted: (e.target as HTMLInputElement).checked })} />Mute ${u.nickname}
            </label>
            <p class="hint">Only you hear the difference. Remembered for this nickname on this device.</p>
            ${p.volume !== 100 || p.muted ? html`<button class="reset" @click=${() => this.#set({ ...DEFAULT_USER_PREFS })}>Reset</button>` : nothing}
          </div>`
        : nothing}
    </dialog>`;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'voice-user-prefs': CustomEvent<{ user: UserInfo; prefs: UserPrefs }>;
    'voice-user-prefs-preview': CustomEvent<{ user: UserInfo; prefs: UserPrefs }>;
    'voice-menu-close': CustomEvent<undefined>;
  }
}
