/**
 * <kick-dialog>: "Kick <name>" with an optional reason → POST /api/kick.
 * `show(session)` opens it and resolves with a sentence saying what was done,
 * or null if it was cancelled (Escape, Cancel). A refusal (403, 404) stays in
 * the dialog.
 */
import { LitElement, html, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import type { AdminApi } from '../api/admin-api.ts';
import type { Session } from '../api/types.ts';
import { adminDialogStyles } from '../shared/admin.styles.ts';
import { describedBy, fieldError, formError, invalid, NO_ERRORS, toFormErrors, type FormErrors } from '../shared/form-errors.ts';
import { ModalController } from '../shared/modal-controller.ts';

const FORM = 'kick';

export class KickDialog extends LitElement {
  static override styles = adminDialogStyles;
  static override properties = {
    api: { attribute: false },
    session: { state: true },
    errors: { state: true },
    busy: { state: true },
  };

  declare api: AdminApi | null;
  declare session: Session | null;
  declare errors: FormErrors;
  declare busy: boolean;

  readonly #modal = new ModalController(this, () => this.renderRoot.querySelector('dialog'));
  #settle: ((outcome: string | null) => void) | null = null;

  constructor() {
    super();
    this.api = null;
    this.session = null;
    this.errors = NO_ERRORS;
    this.busy = false;
  }

  async show(session: Session): Promise<string | null> {
    this.#settle?.(null);
    this.session = session;
    this.errors = NO_ERRORS;
    await this.updateComplete;
    this.renderRoot.querySelector('form')?.reset();
    this.#modal.open();
    return new Promise((resolve) => (this.#settle = resolve));
  }

  #finish(outcome: string | null): void {
    const settle = this.#settle;
    this.#settle = null;
    this.#modal.close();
    settle?.(outcome);
  }

  readonly #onSubmit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const s = this.session;
    if (!this.api || !s || this.busy) return;
    const reason = (this.renderRoot.querySelector('#kick-reason') as HTMLInputElement).value.trim();
    this.busy = true;
    try {
      await this.api.kick(s.sessionToken, reason);
      this.#finish(`Kicked ${s.nickname}.`);
    } catch (error) {
      const errors = toFormErrors(error, ['reason']);
      if (errors === null) this.#finish(null);
      else this.errors = errors;
    } finally {
      this.busy = false;
    }
  };

  override render(): TemplateResult {
    const name = this.session?.nickname ?? '';
    return html`<dialog aria-labelledby="kick-title" @close=${() => this.#finish(null)}>
      <form class="panel" @submit=${this.#onSubmit}>
        <div class="head"><h2 id="kick-title">Kick ${name}</h2></div>
        <p class="hint">They are disconnected at once and can come back unless they are banned.</p>
        <div class="field">
          <label for="kick-reason">Reason (optional)</label>
          <input
            id="kick-reason"
            name="reason"
            maxlength="200"
            autocomplete="off"
            autofocus
            aria-invalid=${invalid(this.errors, 'reason')}
            aria-describedby=${ifDefined(describedBy(this.errors, FORM, 'reason'))}
          />
          ${fieldError(this.errors, FORM, 'reason')}
        </div>
        ${formError(this.errors)}
        <div class="actions">
          <button type="button" @click=${() => this.#finish(null)}>Cancel</button>
          <button type="submit" class="primary" ?disabled=${this.busy}>Kick</button>
        </div>
      </form>
    </dialog>`;
  }
}
