/**
 * <login-form>: name and password → POST /api/auth/login. Says why a login
 * failed in words (wrong credentials, too many tries and for how long, banned,
 * server busy) and shows `notice` (session expired, logged out) above the form.
 *
 * Events: `admin-logged-in` with the login response.
 */
import { MAX_NICKNAME_LENGTH, MAX_PASSWORD_LENGTH } from '../../../shared/control/protocol.ts';
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { ApiError, type AdminApi } from '../api/admin-api.ts';
import type { LoginResponse } from '../api/types.ts';
import { describeWait, sentence } from '../../app/shared/wording.ts';
import { describedBy, fieldError, formError, invalid, NO_ERRORS, toFormErrors, type FormErrors } from '../shared/form-errors.ts';
import { styles } from './login-form.styles.ts';

const FORM = 'login';

export class LoginForm extends LitElement {
  static override styles = styles;
  static override properties = {
    api: { attribute: false },
    notice: {},
    errors: { state: true },
    busy: { state: true },
  };

  declare api: AdminApi | null;
  declare notice: string;
  declare errors: FormErrors;
  declare busy: boolean;

  constructor() {
    super();
    this.api = null;
    this.notice = '';
    this.errors = NO_ERRORS;
    this.busy = false;
  }

  override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLInputElement>('#login-name')?.focus();
  }

  readonly #onSubmit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    if (!this.api || this.busy) return;
    const form = e.target as HTMLFormElement;
    const name = (form.elements.namedItem('name') as HTMLInputElement).value.trim();
    const password = form.elements.namedItem('password') as HTMLInputElement;
    this.busy = true;
    this.errors = NO_ERRORS;
    try {
      const answer = await this.api.login(name, password.value);
      password.value = '';
      this.dispatchEvent(new CustomEvent<LoginResponse>('admin-logged-in', { detail: answer, bubbles: true, composed: true }));
    } catch (error) {
      this.errors = loginErrors(error);
      await this.updateComplete;
      password.select();
    } finally {
      this.busy = false;
    }
  };

  override render(): TemplateResult {
    const errors = this.errors;
    return html`<section aria-labelledby="login-title">
      <div class="section-head"><h2 id="login-title">Log in to the admin panel</h2></div>
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      <form @submit=${this.#onSubmit}>
        <div class="field">
          <label for="login-name">Name</label>
          <input
            id="login-name"
            name="name"
            autocomplete="username"
            autocapitalize="off"
            spellcheck="false"
            required
            maxlength=${MAX_NICKNAME_LENGTH}
            aria-invalid=${invalid(errors, 'name')}
            aria-describedby=${ifDefined(describedBy(errors, FORM, 'name'))}
          />
          ${fieldError(errors, FORM, 'name')}
        </div>
        <div class="field">
          <label for="login-password">Password</label>
          <input
            id="login-password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            maxlength=${MAX_PASSWORD_LENGTH}
            aria-invalid=${invalid(errors, 'password')}
            aria-describedby=${ifDefined(describedBy(errors, FORM, 'password'))}
          />
          ${fieldError(errors, FORM, 'password')}
        </div>
        ${formError(errors)}
        <div class="actions">
          <button type="submit" class="primary" ?disabled=${this.busy}>${this.busy ? 'Logging in…' : 'Log in'}</button>
        </div>
      </form>
      <p class="hint"><a href="/">Back to voice chat</a></p>
    </section>`;
  }
}

/** The sentence for a failed login; the server's own words where they carry more (a ban's reason and end). */
function loginErrors(error: unknown): FormErrors {
  const wait = (e: ApiError): string => (e.retryAfterSeconds === null ? 'later' : `in ${describeWait(e.retryAfterSeconds * 1000)}`);
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'bad-credentials':
        return { message: 'Wrong name or password.', fields: {} };
      case 'rate-limited':
        return { message: `Too many failed logins from this address or for this account. Try again ${wait(error)}.`, fields: {} };
      case 'banned':
        // The server's words carry the reason and until when ("you are banned from this server until …: spam").
        return { message: error.message ? sentence(error.message) : 'This account or address is banned.', fields: {} };
      case 'busy':
        return { message: `The server is busy checking other passwords. Try again ${wait(error)}.`, fields: {} };
    }
  }
  return toFormErrors(error, ['name', 'password']) ?? NO_ERRORS;
}
