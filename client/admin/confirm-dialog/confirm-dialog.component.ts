/**
 * <confirm-dialog>: "Are you sure?" for deletes. `ask(...)` opens it and
 * resolves true for the confirm button, false for Cancel or Escape. Focus
 * starts on Cancel, so Enter alone never deletes.
 */
import { LitElement, html, type TemplateResult } from 'lit';
import { adminDialogStyles } from '../shared/admin.styles.ts';
import { ModalController } from '../shared/modal-controller.ts';

export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
}

export class ConfirmDialog extends LitElement {
  static override styles = adminDialogStyles;
  static override properties = { request: { state: true } };

  declare request: ConfirmRequest;

  readonly #modal = new ModalController(this, () => this.renderRoot.querySelector('dialog'));
  #settle: ((yes: boolean) => void) | null = null;

  constructor() {
    super();
    this.request = { title: '', message: '', confirmLabel: '' };
  }

  async ask(request: ConfirmRequest): Promise<boolean> {
    this.#settle?.(false);
    this.request = request;
    await this.updateComplete;
    this.#modal.open();
    return new Promise((resolve) => (this.#settle = resolve));
  }

  #finish(yes: boolean): void {
    const settle = this.#settle;
    this.#settle = null;
    this.#modal.close();
    settle?.(yes);
  }

  override render(): TemplateResult {
    const r = this.request;
    return html`<dialog role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-message" @close=${() => this.#finish(false)}>
      <div class="panel">
        <div class="head"><h2 id="confirm-title">${r.title}</h2></div>
        <p id="confirm-message">${r.message}</p>
        <div class="actions">
          <button type="button" autofocus @click=${() => this.#finish(false)}>Cancel</button>
          <button type="button" class="primary danger" @click=${() => this.#finish(true)}>${r.confirmLabel}</button>
        </div>
      </div>
    </dialog>`;
  }
}
