/**
 * <ban-dialog>: bans the person in a session by account (only for a
 * registered one), by address (prefilled with the session's, editable into a
 * range such as 203.0.113.0/24) or both, for a chosen time → POST /api/ban.
 * The server removes every online session the ban matches.
 * `show(session)` resolves with what was done, or null if cancelled.
 */
import { LitElement, html, type TemplateResult } from 'lit';
import type { AdminApi } from '../api/admin-api.ts';
import type { BanRequest, Session } from '../api/types.ts';
import { adminDialogStyles } from '../shared/admin.styles.ts';
import { describeKicked, durationField, formValue, readBanTerms, reasonField } from '../shared/ban-fields.ts';
import { FormDialogController } from '../shared/form-dialog-controller.ts';
import { describedBy, fieldError, formError, invalid } from '../shared/form-errors.ts';

const FORM = 'ban';

export class BanDialog extends LitElement {
  static override styles = adminDialogStyles;
  static override properties = {
    api: { attribute: false },
    session: { state: true },
    byAddress: { state: true },
  };

  declare api: AdminApi | null;
  declare session: Session | null;
  /** Whether the address box is ticked (the address field is only editable then). */
  declare byAddress: boolean;

  readonly #dialog = new FormDialogController(this, ['userId', 'address', 'reason', 'durationSeconds']);

  constructor() {
    super();
    this.api = null;
    this.session = null;
    this.byAddress = true;
  }

  async show(session: Session): Promise<string | null> {
    this.session = session;
    this.byAddress = true;
    return this.#dialog.open((form) => {
      form.reset();
      (form.elements.namedItem('by-address') as HTMLInputElement).checked = true;
      (form.elements.namedItem('address') as HTMLInputElement).value = session.address;
    });
  }

  readonly #onSubmit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const s = this.session;
    const api = this.api;
    if (!api || !s || this.#dialog.busy) return;
    const form = e.target as HTMLFormElement;
    const byAccount = s.userId !== null && (form.elements.namedItem('by-account') as HTMLInputElement).checked;
    if (!byAccount && !this.byAddress) {
      this.#dialog.errors = { message: 'Choose the account, the address or both.', fields: {} };
      return;
    }
    const request: BanRequest = readBanTerms(form);
    if (byAccount) request.userId = s.userId!;
    if (this.byAddress) request.address = formValue(form, 'address');
    await this.#dialog.submit(async () => {
      const { kicked } = await api.ban(request);
      return `Banned ${[byAccount ? s.nickname : '', request.address ?? ''].filter(Boolean).join(' and ')} (${describeKicked(kicked)}).`;
    });
  };

  override render(): TemplateResult {
    const s = this.session;
    const errors = this.#dialog.errors;
    return html`<dialog aria-labelledby="ban-title" @close=${this.#dialog.cancel}>
      <form class="panel" @submit=${this.#onSubmit}>
        <div class="head"><h2 id="ban-title">Ban ${s?.nickname ?? ''}</h2></div>
        <fieldset>
          <legend>Ban by</legend>
          ${s?.userId != null
            ? html`<label class="check"><input type="checkbox" name="by-account" checked autofocus /> Account ${s.nickname}</label>
                ${fieldError(errors, FORM, 'userId')}`
            : html`<p class="hint">A guest: there is no account to ban.</p>`}
          <label class="check">
            <input type="checkbox" name="by-address" .checked=${this.byAddress} @change=${(e: Event) => (this.byAddress = (e.target as HTMLInputElement).checked)} />
            Address or range
          </label>
          <div class="field">
            <label for="ban-address" class="visually-hidden">Address or range to ban</label>
            <input
              id="ban-address"
              name="address"
              autocomplete="off"
              spellcheck="false"
              maxlength="64"
              ?disabled=${!this.byAddress}
              aria-invalid=${invalid(errors, 'address')}
              aria-describedby=${['ban-address-hint', describedBy(errors, FORM, 'address') ?? ''].join(' ').trim()}
            />
            <p class="hint" id="ban-address-hint">An IPv4 or IPv6 address, or a range such as 203.0.113.0/24.</p>
            ${fieldError(errors, FORM, 'address')}
          </div>
        </fieldset>
        ${durationField('ban-duration', FORM, errors)} ${reasonField('ban-reason', FORM, errors)}
        ${formError(errors)}
        <div class="actions">
          <button type="button" @click=${this.#dialog.cancel}>Cancel</button>
          <button type="submit" class="primary danger" ?disabled=${this.#dialog.busy}>Ban</button>
        </div>
      </form>
    </dialog>`;
  }
}
