/**
 * <reset-password-dialog>: sets a new password for an account (PATCH
 * /api/users/:id with `password`). `show(account)` resolves with what was
 * done, or null if cancelled.
 */
import { LitElement, html, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import type { AdminApi } from '../api/admin-api.ts';
import type { Account } from '../api/types.ts';
import { adminDialogStyles } from '../shared/admin.styles.ts';
import { describedBy, fieldError, formError, invalid, NO_ERRORS, toFormErrors, type FormErrors } from '../shared/form-errors.ts';
import { ModalController } from '../shared/modal-controller.ts';

const FORM = 'reset';

export class ResetPasswordDialog extends LitElement {
  static override styles = adminDialogStyles;
  static override properties = {
    api: { attribute: false },
    account: { state: true },
    errors: { state: true },
    busy: { state: true },
  };

  declare api: AdminApi | null;
  declare account: Account | null;
  declare errors: FormErrors;
  declare busy: boolean;

  readonly #modal = new ModalController(this, () => this.renderRoot.querySelector('dialog'));
  #settle: ((outcome: string | null) => void) | null = null;

  constructor() {
    super();
    this.api = null;
    this.account = null;
    this.errors = NO_ERRORS;
    this.busy = false;
  }

  async show(account: Account): Promise<string | null> {
    this.#settle?.(null);
    this.account = account;
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
    const a = this.account;
    if (!this.api || !a || this.busy) return;
    const password = (this.renderRoot.querySelector('#reset-password') as HTMLInputElement).value;
    this.busy = true;
    try {
      await this.api.updateUser(a.id, { password });
      this.#finish(`Set a new password for ${a.name}.`);
    } catch (error) {
      const errors = toFormErrors(error, ['password']);
      if (errors === null) this.#finish(null);
      else this.errors = errors;
    } finally {
      this.busy = false;
    }
  };

  override render(): TemplateResult {
    return html`<dialog aria-labelledby="reset-title" @close=${() => this.#finish(null)}>
      <form class="panel" @submit=${this.#onSubmit}>
        <div class="head"><h2 id="reset-title">New password for ${this.account?.name ?? ''}</h2></div>
        <div class="field">
          <label for="reset-password">New password</label>
          <input
            id="reset-password"
            type="password"
            required
            minlength="8"
            maxlength="128"
            autocomplete="new-password"
            autofocus
            aria-invalid=${invalid(this.errors, 'password')}
            aria-describedby=${ifDefined(describedBy(this.errors, FORM, 'password') ?? 'reset-hint')}
          />
          <p class="hint" id="reset-hint">8 to 128 characters. Tell the person by a channel you trust.</p>
          ${fieldError(this.errors, FORM, 'password')}
        </div>
        ${formError(this.errors)}
        <div class="actions">
          <button type="button" @click=${() => this.#finish(null)}>Cancel</button>
          <button type="submit" class="primary" ?disabled=${this.busy}>Set password</button>
        </div>
      </form>
    </dialog>`;
  }
}
