/**
 * <bans-table>: the bans in force (GET /api/bans) with Lift (DELETE
 * /api/bans/:id), and a form that bans an address or range without a session
 * to start from (POST /api/ban with `address` only).
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { repeat } from 'lit/directives/repeat.js';
import type { AdminApi } from '../api/admin-api.ts';
import type { Ban, BanRequest } from '../api/types.ts';
import { adminStyles } from '../shared/admin.styles.ts';
import { describeKicked, durationField, formValue, readBanTerms, reasonField } from '../shared/ban-fields.ts';
import { describedBy, fieldError, formError, invalid, NO_ERRORS, toFormErrors, type FormErrors } from '../shared/form-errors.ts';
import { formatExpiry, formatSince } from '../shared/format.ts';

const FORM = 'add-ban';

export class BansTable extends LitElement {
  static override styles = adminStyles;
  static override properties = {
    api: { attribute: false },
    bans: { attribute: false },
    now: { type: Number },
    errors: { state: true },
    listError: { state: true },
    status: { state: true },
    busy: { state: true },
  };

  declare api: AdminApi | null;
  declare bans: Ban[] | null;
  declare now: number;
  /** The add form's errors. */
  declare errors: FormErrors;
  /** Why the last lift failed. */
  declare listError: string;
  declare status: string;
  declare busy: boolean;

  constructor() {
    super();
    this.api = null;
    this.bans = null;
    this.now = Date.now();
    this.errors = NO_ERRORS;
    this.listError = '';
    this.status = '';
    this.busy = false;
  }

  #changed(status: string): void {
    this.status = status;
    this.dispatchEvent(new CustomEvent('admin-changed', { bubbles: true, composed: true }));
  }

  async #lift(ban: Ban): Promise<void> {
    if (!this.api) return;
    this.listError = '';
    try {
      await this.api.liftBan(ban.id);
      this.renderRoot.querySelector<HTMLElement>('#bans-title')?.focus();
      this.#changed(`Lifted the ban on ${banTarget(ban)}.`);
    } catch (error) {
      this.listError = toFormErrors(error)?.message ?? '';
    }
  }

  readonly #onAdd = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    if (!this.api || this.busy) return;
    const form = e.target as HTMLFormElement;
    const request: BanRequest = { address: formValue(form, 'address'), ...readBanTerms(form) };
    this.busy = true;
    this.errors = NO_ERRORS;
    try {
      const { kicked } = await this.api.ban(request);
      form.reset();
      this.#changed(`Banned ${request.address} (${describeKicked(kicked)}).`);
    } catch (error) {
      this.errors = toFormErrors(error, ['address', 'reason', 'durationSeconds']) ?? NO_ERRORS;
    } finally {
      this.busy = false;
    }
  };

  override render(): TemplateResult {
    const bans = this.bans;
    return html`<section aria-labelledby="bans-title">
        <div class="section-head"><h2 id="bans-title" tabindex="-1">Bans${bans ? html` <span class="muted">(${bans.length})</span>` : nothing}</h2></div>
        <p class="hint ${this.status ? '' : 'visually-hidden'}" role="status">${this.status}</p>
        ${this.listError ? html`<p class="error" role="alert">${this.listError}</p>` : nothing}
        ${bans === null
          ? html`<p class="empty">Loading…</p>`
          : bans.length === 0
            ? html`<p class="empty">No bans in force.</p>`
            : html`<table aria-labelledby="bans-title">
                <thead>
                  <tr>
                    <th scope="col">Banned</th>
                    <th scope="col">Reason</th>
                    <th scope="col">By</th>
                    <th scope="col">Since</th>
                    <th scope="col">Ends</th>
                    <th scope="col"><span class="visually-hidden">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${repeat(bans, (b) => b.id, (b) => this.#renderRow(b))}
                </tbody>
              </table>`}
      </section>
      <section aria-labelledby="add-ban-title">
        <div class="section-head"><h2 id="add-ban-title">Ban an address or range</h2></div>
        <form @submit=${this.#onAdd}>
          <div class="fields">
            <div class="field">
              <label for="add-ban-address">Address or range</label>
              <input
                id="add-ban-address"
                name="address"
                required
                maxlength="64"
                autocomplete="off"
                spellcheck="false"
                placeholder="203.0.113.0/24"
                aria-invalid=${invalid(this.errors, 'address')}
                aria-describedby=${ifDefined(describedBy(this.errors, FORM, 'address'))}
              />
              ${fieldError(this.errors, FORM, 'address')}
            </div>
            ${durationField('add-ban-duration', FORM, this.errors)} ${reasonField('add-ban-reason', FORM, this.errors)}
          </div>
          ${formError(this.errors)}
          <div class="actions"><button type="submit" class="primary" ?disabled=${this.busy}>Add ban</button></div>
        </form>
      </section>`;
  }

  #renderRow(b: Ban): TemplateResult {
    return html`<tr data-ban=${b.id}>
      <th scope="row" data-label="Banned"><span>${banTarget(b)}</span></th>
      <td data-label="Reason">${b.reason || html`<span class="muted">none given</span>`}</td>
      <td data-label="By">${b.createdBy ?? '–'}</td>
      <td data-label="Since">${formatSince(b.createdAt, this.now)}</td>
      <td data-label="Ends">${formatExpiry(b.expiresAt, this.now)}</td>
      <td class="actions-cell">
        <span class="row-actions"><button type="button" aria-label="Lift the ban on ${banTarget(b)}" @click=${() => this.#lift(b)}>Lift</button></span>
      </td>
    </tr>`;
  }
}

/** "alice", "203.0.113.0/24" or "alice and 203.0.113.7". */
function banTarget(b: Ban): string {
  const account = b.userName ?? (b.userId === null ? null : `account #${b.userId}`);
  return [account, b.address].filter((x) => x !== null && x !== '').join(' and ') || `ban #${b.id}`;
}
