/**
 * Opens and closes a component's non-modal <dialog> from a property, and
 * closes it on Escape. Non-modal on purpose: the page behind stays usable
 * (mute or deafen while adjusting someone's volume, pick another channel
 * while the password prompt is up). The dialog's own `close` event is the
 * one place the host learns it closed, whatever closed it. With
 * `lightDismiss`, a press anywhere outside it closes it too, as menus do.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class DialogController implements ReactiveController {
  readonly #dialog: () => HTMLDialogElement | null;
  readonly #lightDismiss: boolean;

  constructor(host: ReactiveControllerHost, dialog: () => HTMLDialogElement | null, options: { lightDismiss?: boolean } = {}) {
    this.#dialog = dialog;
    this.#lightDismiss = options.lightDismiss ?? false;
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('keydown', this.#onKeyDown);
    if (this.#lightDismiss) document.addEventListener('pointerdown', this.#onPointerDown, true);
  }

  hostDisconnected(): void {
    document.removeEventListener('keydown', this.#onKeyDown);
    document.removeEventListener('pointerdown', this.#onPointerDown, true);
  }

  /** Call from the host's updated(). Returns true when it has just opened. */
  sync(open: boolean): boolean {
    const d = this.#dialog();
    if (!d) return false;
    if (open && !d.open) {
      d.show();
      return true;
    }
    if (!open && d.open) d.close();
    return false;
  }

  close(): void {
    this.#dialog()?.close();
  }

  readonly #onPointerDown = (e: PointerEvent): void => {
    const d = this.#dialog();
    if (d?.open && !e.composedPath().includes(d)) d.close();
  };

  readonly #onKeyDown = (e: KeyboardEvent): void => {
    const d = this.#dialog();
    if (e.key !== 'Escape' || !d?.open || e.defaultPrevented) return;
    e.preventDefault();
    d.close();
  };
}
