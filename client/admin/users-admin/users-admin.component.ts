/**
 * <users-admin> (admins): the accounts, each with a role select that applies
 * at once (PATCH /api/users/:id), Reset password and Delete (confirmed); and a
 * form that creates an account (POST /api/users).
 */
import { MAX_NICKNAME_LENGTH, MAX_PASSWORD_LENGTH, MIN_ACCOUNT_PASSWORD_LENGTH } from '../../../shared/control/protocol.ts';
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';
import type { AdminApi } from '../api/admin-api.ts';
import { ROLES, type Account, type Role, type User } from '../api/types.ts';
import type { ConfirmDialog } from '../confirm-dialog/confirm-dialog.component.ts';
import type { ResetPasswordDialog } from '../reset-password-dialog/reset-password-dialog.component.ts';
import { adminStyles } from '../shared/admin.styles.ts';
import { describedBy, fieldError, formError, invalid, NO_ERRORS, toFormErrors, type FormErrors } from '../shared/form-errors.ts';
import { formatSince } from '../shared/format.ts';

const FORM = 'new-user';

export class UsersAdmin extends LitElement {
  static override styles = adminStyles;
  static override properties = {
    api: { attribute: false },
    me: { attribute: false },
    users: { attribute: false },
    now: { type: Number },
    status: { state: true },
    error: { state: true },
    errors: { state: true },
    busy: { state: true },
  };

  declare api: AdminApi | null;
  declare me: User | null;
  declare users: Account[] | null;
  declare now: number;
  declare status: string;
  /** Why the last action on a row failed (403, 409 the last admin, …). */
  declare error: string;
  /** The create form's errors. */
  declare errors: FormErrors;
  declare busy: boolean;

  constructor() {
    super();
    this.api = this.me = this.users = null;
    this.now = Date.now();
    this.status = this.error = '';
    this.errors = NO_ERRORS;
    this.busy = false;
  }

  #done(status: string): void {
    this.status = status;
    this.error = '';
    this.dispatchEvent(new CustomEvent('admin-changed', { bubbles: true, composed: true }));
  }

  async #setRole(a: Account, role: Role): Promise<void> {
    if (!this.api || role === a.role) return;
    try {
      await this.api.updateUser(a.id, { role });
      this.#done(`${a.name} is now ${role}.`);
    } catch (error) {
      this.error = toFormErrors(error)?.message ?? '';
      this.requestUpdate(); // `live` puts the select back on the role the account still has
    }
  }

  async #resetPassword(a: Account): Promise<void> {
    const outcome = await this.renderRoot.querySelector<ResetPasswordDialog>('reset-password-dialog')?.show(a);
    if (outcome) this.#done(outcome);
  }

  async #delete(a: Account): Promise<void> {
    if (!this.api) return;
    const yes = await this.renderRoot.querySelector<ConfirmDialog>('confirm-dialog')?.ask({
      title: `Delete ${a.name}`,
      message: `Delete the account ${a.name}? Its online sessions end now; bans on it stay.`,
      confirmLabel: 'Delete',
    });
    if (!yes) return;
    try {
      await this.api.deleteUser(a.id);
      this.renderRoot.querySelector<HTMLElement>('#users-title')?.focus();
      this.#done(`Deleted ${a.name}.`);
    } catch (error) {
      this.error = toFormErrors(error)?.message ?? '';
    }
  }

  readonly #onCreate = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    if (!this.api || this.busy) return;
    const form = e.target as HTMLFormElement;
    const value = (name: string): string => (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
    const fields = { name: value('name').trim(), password: value('password'), role: value('role') as Role };
    this.busy = true;
    this.errors = NO_ERRORS;
    try {
      const created = await this.api.createUser(fields);
      form.reset();
      this.#done(`Created ${created.name} (${created.role}).`);
    } catch (error) {
      this.errors = toFormErrors(error, ['name', 'password', 'role']) ?? NO_ERRORS;
    } finally {
      this.busy = false;
    }
  };

  override render(): TemplateResult {
    const users = this.users;
    return html`<section aria-labelledby="users-title">
        <div class="section-head"><h2 id="users-title" tabindex="-1">Users${users ? html` <span class="muted">(${users.length})</span>` : nothing}</h2></div>
        <p class="hint ${this.status ? '' : 'visually-hidden'}" role="status">${this.status}</p>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        ${users === null
          ? html`<p class="empty">Loading…</p>`
          : html`<table aria-labelledby="users-title">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last login</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${repeat(users, (u) => u.id, (u) => this.#renderRow(u))}
              </tbody>
            </table>`}
        <reset-password-dialog .api=${this.api}></reset-password-dialog>
        <confirm-dialog></confirm-dialog>
      </section>
      ${this.#renderCreate()}`;
  }

  #renderRow(a: Account): TemplateResult {
    const self = a.id === this.me?.id;
    return html`<tr data-user=${a.name}>
      <th scope="row" data-label="Name"><span>${a.name}${self ? html` <span class="badge">you</span>` : nothing}</span></th>
      <td data-label="Role">
        <span>
          <label class="visually-hidden" for="role-${a.id}">Role of ${a.name}</label>
          <select id="role-${a.id}" ?disabled=${self} title=${ifDefined(self ? 'Another admin can change your role' : undefined)} @change=${(e: Event) => this.#setRole(a, (e.target as HTMLSelectElement).value as Role)}>
            ${ROLES.map((r) => html`<option value=${r} .selected=${live(r === a.role)}>${r}</option>`)}
          </select>
        </span>
      </td>
      <td data-label="Created">${formatSince(a.createdAt, this.now)}</td>
      <td data-label="Last login">${a.lastLoginAt === null ? html`<span class="muted">never</span>` : formatSince(a.lastLoginAt, this.now)}</td>
      <td class="actions-cell">
        <span class="row-actions">
          <button type="button" aria-label="Reset the password of ${a.name}" @click=${() => this.#resetPassword(a)}>Reset password</button>
          <button type="button" class="danger" aria-label="Delete ${a.name}" ?disabled=${self} title=${self ? 'You cannot delete your own account here' : `Delete ${a.name}`} @click=${() => this.#delete(a)}>
            Delete
          </button>
        </span>
      </td>
    </tr>`;
  }

  #renderCreate(): TemplateResult {
    const e = this.errors;
    const field = (id: string, label: string, name: string, body: TemplateResult): TemplateResult =>
      html`<div class="field"><label for=${id}>${label}</label>${body}${fieldError(e, FORM, name)}</div>`;
    return html`<section aria-labelledby="new-user-title">
      <div class="section-head"><h2 id="new-user-title">New account</h2></div>
      <form @submit=${this.#onCreate}>
        <div class="fields">
          ${field('new-user-name', 'Name', 'name', html`<input id="new-user-name" name="name" required maxlength=${MAX_NICKNAME_LENGTH} autocomplete="off" spellcheck="false"
            aria-invalid=${invalid(e, 'name')} aria-describedby=${ifDefined(describedBy(e, FORM, 'name'))} />`)}
          ${field('new-user-password', 'Password', 'password', html`<input id="new-user-password" name="password" type="password" required minlength=${MIN_ACCOUNT_PASSWORD_LENGTH} maxlength=${MAX_PASSWORD_LENGTH}
            autocomplete="new-password" aria-invalid=${invalid(e, 'password')} aria-describedby=${ifDefined(describedBy(e, FORM, 'password'))} />`)}
          ${field('new-user-role', 'Role', 'role', html`<select id="new-user-role" name="role" aria-invalid=${invalid(e, 'role')}>
            ${ROLES.filter((r) => r !== 'guest').map((r) => html`<option value=${r} ?selected=${r === 'member'}>${r}</option>`)}
          </select>`)}
        </div>
        ${formError(e)}
        <div class="actions"><button type="submit" class="primary" ?disabled=${this.busy}>Create account</button></div>
      </form>
    </section>`;
  }
}
