/**
 * Push-to-talk on the page's keyboard: the bound key held down transmits,
 * released stops. Browsers give web pages no system-wide hotkeys, so it works
 * only while the page has focus; losing focus (another window, another tab)
 * releases it, since the key-up would never reach us.
 *
 * Typing is never hijacked: keys pressed in a text field are left alone.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface PushToTalkOptions {
  /** KeyboardEvent.code of the bound key, or null while push-to-talk is off. */
  key(): string | null;
  onChange(down: boolean): void;
}

export class PushToTalkController implements ReactiveController {
  readonly #options: PushToTalkOptions;
  #down = false;
  /** The key that went down: its key-up releases, even if the binding changed or went away meanwhile. */
  #code = '';

  constructor(host: ReactiveControllerHost, options: PushToTalkOptions) {
    this.#options = options;
    host.addController(this);
  }

  hostConnected(): void {
    window.addEventListener('keydown', this.#onKeyDown);
    window.addEventListener('keyup', this.#onKeyUp);
    window.addEventListener('blur', this.#release);
    document.addEventListener('visibilitychange', this.#onVisibility);
  }

  hostDisconnected(): void {
    window.removeEventListener('keydown', this.#onKeyDown);
    window.removeEventListener('keyup', this.#onKeyUp);
    window.removeEventListener('blur', this.#release);
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#release();
  }

  /** Lets go of the key (mode changed, key rebound, disconnected). */
  release(): void {
    this.#release();
  }

  readonly #onKeyDown = (e: KeyboardEvent): void => {
    const key = this.#options.key();
    if (key === null || e.code !== key || isTyping(e)) return;
    // Space or Enter would also press a focused button.
    e.preventDefault();
    if (e.repeat || this.#down) return;
    this.#code = e.code;
    this.#set(true);
  };

  readonly #onKeyUp = (e: KeyboardEvent): void => {
    if (!this.#down || e.code !== this.#code) return;
    e.preventDefault();
    this.#set(false);
  };

  readonly #onVisibility = (): void => {
    if (document.visibilityState === 'hidden') this.#release();
  };

  readonly #release = (): void => {
    if (this.#down) this.#set(false);
  };

  #set(down: boolean): void {
    this.#down = down;
    this.#options.onChange(down);
  }
}

const TEXT_INPUT_TYPES = new Set(['text', 'search', 'email', 'url', 'tel', 'password', 'number']);

/** Whether the key went to something the user types into (looked up through shadow roots). */
export function isTyping(e: KeyboardEvent): boolean {
  const target = e.composedPath()[0];
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && TEXT_INPUT_TYPES.has(target.type);
}

/** A readable name for a KeyboardEvent.code ('KeyV' → 'V', 'Digit1' → '1'). */
export function keyName(code: string): string {
  if (/^Key[A-Z]$/.test(code)) return code.slice(3);
  if (/^Digit\d$/.test(code)) return code.slice(5);
  if (/^Numpad/.test(code)) return `Numpad ${code.slice(6)}`;
  return code.replace(/(Left|Right)$/, ' ($1)').replace(/([a-z])([A-Z])/g, '$1 $2');
}
