/**
 * <reset-password-dialog>: sets a new password for an account (PATCH
 * /api/users/:id with `password`). `show(account)` resolves with what was
 * done, or null if cancelled.
 */
import { MAX_PASSWORD_LENGTH, MIN_ACCOUNT_PASSWORD_LENGTH } from '../../../shared/control/protocol.ts';
import { LitElement, html, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import type { AdminApi } from '../api/admin-api.ts';
import type { Account } from '../api/types.ts';
import { adminDialogStyles } from '../shared/admin.styles.ts';
import { FormDialogController } from '../shared/form-dialog-controller.ts';
import { describedBy, fieldError, formError, invalid } from '../shared/form-errors.ts';

const FORM = 'reset';

export class ResetPasswordDialog extends LitElement {
  static override styles = adminDialogStyles;
  static override properties = {
    api: { attribute: false },
    account: { state: true },
  };

  declare api: AdminApi | null;
  declare account: Account | null;

  readonly #dialog = new FormDialogController(this, ['password']);

  constructor() {
    super();
    this.api = null;
    this.account = null;
  }

  async show(account: Account): Promise<string | null> {
    this.account = account;
    return this.#dialog.open();
  }

  readonly #onSubmit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const a = this.account;
    const api = this.api;
    if (!api || !a || this.#dialog.busy) return;
    const password = (this.renderRoot.querySelector('#reset-password') as HTMLInputElement).value;
    await this.#dialog.submit(async () => {
      await api.updateUser(a.id, { password });
      return `Set a new password for ${a.name}.`;
    });
  };

  override render(): TemplateResult {
    const errors = this.#dialog.errors;
    return html`<dialog aria-labelledby="reset-title" @close=${this.#dialog.cancel}>
      <form class="panel" @submit=${this.#onSubmit}>
        <div class="head"><h2 id="reset-title">New password for ${this.account?.name ?? ''}</h2></div>
        <div class="field">
          <label for="reset-password">New password</label>
          <input
            id="reset-password"
            type="password"
            required
            minlength=${MIN_ACCOUNT_PASSWORD_LENGTH}
            maxlength=${MAX_PASSWORD_LENGTH}
            autocomplete="new-password"
            autofocus
            aria-invalid=${invalid(errors, 'password')}
            aria-describedby=${ifDefined(describedBy(errors, FORM, 'password') ?? 'reset-hint')}
          />
          <p class="hint" id="reset-hint">${MIN_ACCOUNT_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters. Tell the person by a channel you trust.</p>
          ${fieldError(errors, FORM, 'password')}
        </div>
        ${formError(errors)}
        <div class="actions">
          <button type="button" @click=${this.#dialog.cancel}>Cancel</button>
          <button type="submit" class="primary" ?disabled=${this.#dialog.busy}>Set password</button>
        </div>
      </form>
    </dialog>`;
  }
}
