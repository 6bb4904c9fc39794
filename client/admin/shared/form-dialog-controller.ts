/**
 * The plumbing of an admin form dialog: `open()` shows it and resolves with a
 * sentence saying what was done, or null if it was cancelled (Escape, Cancel)
 * or the call ended the session; `submit()` runs the call with the submit
 * button disabled, and a refusal stays in the dialog as form errors. The
 * host keeps its fields, its labels and what it sends.
 */
import type { LitElement, ReactiveController } from 'lit';
import { NO_ERRORS, toFormErrors, type FormErrors } from './form-errors.ts';
import { ModalController } from './modal-controller.ts';

export class FormDialogController implements ReactiveController {
  readonly #host: LitElement;
  readonly #modal: ModalController;
  /** The fields the form shows next to their inputs; reasons for others join the form's sentence. */
  readonly #fields: readonly string[];
  #settle: ((outcome: string | null) => void) | null = null;
  #errors: FormErrors = NO_ERRORS;
  #busy = false;

  constructor(host: LitElement, fields: readonly string[]) {
    this.#host = host;
    this.#fields = fields;
    this.#modal = new ModalController(host, () => host.renderRoot.querySelector('dialog'));
    host.addController(this);
  }

  hostConnected(): void {}

  get errors(): FormErrors {
    return this.#errors;
  }

  set errors(errors: FormErrors) {
    this.#errors = errors;
    this.#host.requestUpdate();
  }

  /** True while a call is under way: the submit button is disabled and another submit is ignored. */
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Clears the errors, lets the host render what it has just set, runs
   * `prepare` on the rendered form (reset, prefill) and opens the dialog.
   * A dialog opened again before it settled resolves the earlier call with null.
   */
  async open(prepare: (form: HTMLFormElement) => void = (form) => form.reset()): Promise<string | null> {
    this.#settle?.(null);
    this.errors = NO_ERRORS;
    await this.#host.updateComplete;
    prepare(this.#host.renderRoot.querySelector('form')!);
    this.#modal.open();
    return new Promise((resolve) => (this.#settle = resolve));
  }

  /** Closes the dialog and resolves `open()` with `outcome`. */
  finish(outcome: string | null): void {
    const settle = this.#settle;
    this.#settle = null;
    this.#modal.close();
    settle?.(outcome);
  }

  /** For the dialog's `close` event and the Cancel button. */
  readonly cancel = (): void => this.finish(null);

  /** Runs `call`; its sentence closes the dialog, a refusal stays as errors, an ended session closes it with null. */
  async submit(call: () => Promise<string>): Promise<void> {
    if (this.#busy) return;
    this.#setBusy(true);
    try {
      this.finish(await call());
    } catch (error) {
      const errors = toFormErrors(error, this.#fields);
      if (errors === null) this.finish(null);
      else this.errors = errors;
    } finally {
      this.#setBusy(false);
    }
  }

  #setBusy(busy: boolean): void {
    this.#busy = busy;
    this.#host.requestUpdate();
  }
}
