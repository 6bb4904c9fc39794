/**
 * Opens a component's <dialog> as a modal (the browser makes the rest of the
 * page inert and closes it on Escape), keeps Tab cycling inside it (a modal
 * alone lets Tab leave for the browser's own toolbar), and puts the focus
 * back where it was when the dialog closes, whatever closed it. If that
 * element has gone meanwhile (the row of a kicked user), `fallback` gets it.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class ModalController implements ReactiveController {
  readonly #dialog: () => HTMLDialogElement | null;
  readonly #fallback: () => HTMLElement | null;
  #returnTo: HTMLElement | null = null;

  constructor(host: ReactiveControllerHost, dialog: () => HTMLDialogElement | null, fallback: () => HTMLElement | null = () => null) {
    this.#dialog = dialog;
    this.#fallback = fallback;
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.#dialog()?.close();
  }

  get isOpen(): boolean {
    return this.#dialog()?.open ?? false;
  }

  /** Opens the dialog and focuses its `[autofocus]` element (the browser's rule for modals) or its first field. */
  open(): void {
    const d = this.#dialog();
    if (!d || d.open) return;
    this.#returnTo = deepActiveElement();
    d.addEventListener('close', this.#onClose, { once: true });
    d.addEventListener('keydown', this.#onKeyDown);
    d.showModal();
  }

  close(): void {
    this.#dialog()?.close();
  }

  readonly #onKeyDown = (e: KeyboardEvent): void => {
    if (e.key !== 'Tab') return;
    const d = e.currentTarget as HTMLDialogElement;
    const stops = [...d.querySelectorAll<HTMLElement>(TABBABLE)].filter((el) => !el.matches(':disabled') && el.checkVisibility());
    const first = stops[0];
    const last = stops.at(-1);
    const at = deepActiveElement();
    if (!first || !last) return;
    if (e.shiftKey && (at === first || !d.contains(at))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && at === last) {
      e.preventDefault();
      first.focus();
    }
  };

  readonly #onClose = (e: Event): void => {
    (e.currentTarget as HTMLDialogElement).removeEventListener('keydown', this.#onKeyDown);
    const target = this.#returnTo?.isConnected ? this.#returnTo : this.#fallback();
    this.#returnTo = null;
    target?.focus();
  };
}

const TABBABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

/** The focused element, looking inside open shadow roots (document.activeElement stops at the first host). */
function deepActiveElement(): HTMLElement | null {
  let el: Element | null = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el instanceof HTMLElement ? el : null;
}
