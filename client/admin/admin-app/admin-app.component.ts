/**
 * <admin-app>: the /admin panel's shell. Owns the token (sessionStorage), the
 * API client and the 2 s poll of what the current view shows; the sections
 * below it render that data and call the API for their actions, then fire
 * `admin-changed` so the poll runs at once. A 401 from any call ends the
 * session here and shows the login form with "session expired".
 *
 * Views live at /admin, /admin/bans, /admin/channels, /admin/users (the last
 * two for admins only).
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { roleAtLeast } from '../../../shared/auth/roles.ts';
import { assertNever } from '../../../shared/util/result.ts';
import { serverIcon } from '../../app/shared/icons.ts';
import { AdminApi, type ApiError } from '../api/admin-api.ts';
import { clearToken, readToken, writeToken } from '../api/token-store.ts';
import type { Account, Ban, Channel, LoginResponse, Session, Stats, User } from '../api/types.ts';
import { sentence } from '../../app/shared/wording.ts';
import { toFormErrors } from '../shared/form-errors.ts';
import { statsRates, type StatsRates, type StatsSample } from '../stats-panel/stats-rates.ts';
import { styles } from './admin-app.styles.ts';
import { PollController } from './poll-controller.ts';
import { VIEWS, viewAt, viewsFor, type ViewId } from './views.ts';

const POLL_MS = 2000;
type Phase = 'checking' | 'login' | 'ready';

export class AdminApp extends LitElement {
  static override styles = styles;
  static override properties = {
    phase: { state: true },
    user: { state: true },
    notice: { state: true },
    view: { state: true },
    sessions: { state: true },
    channels: { state: true },
    stats: { state: true },
    rates: { state: true },
    bans: { state: true },
    users: { state: true },
    pollError: { state: true },
    now: { state: true },
  };

  declare phase: Phase;
  declare user: User | null;
  /** Shown above the login form: why the session ended. */
  declare notice: string;
  declare view: ViewId;
  declare sessions: Session[] | null;
  declare channels: Channel[] | null;
  declare stats: Stats | null;
  declare rates: StatsRates | null;
  declare bans: Ban[] | null;
  declare users: Account[] | null;
  declare pollError: string;
  /** Wall-clock time of the last poll, for "5 min ago". */
  declare now: number;

  #token: string | null = null;
  #lastSample: StatsSample | null = null;
  readonly api = new AdminApi({ token: () => this.#token, onUnauthorized: (e) => this.#expire(e) });
  readonly #poll = new PollController(this, () => this.#refresh(), POLL_MS);

  constructor() {
    super();
    this.phase = 'checking';
    this.user = null;
    this.notice = '';
    this.view = viewAt(location.pathname);
    this.#clearData();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.#onPopState);
    this.addEventListener('admin-changed', this.#onChanged);
    void this.#resume();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.#onPopState);
    this.removeEventListener('admin-changed', this.#onChanged);
  }

  /** A token from earlier in this tab: check it is still good and whose it is. */
  async #resume(): Promise<void> {
    const stored = readToken(Date.now());
    if (!stored) {
      this.phase = 'login';
      return;
    }
    this.#token = stored.token;
    try {
      this.#enter(await this.api.me());
    } catch (error) {
      if (this.phase !== 'checking') return; // a 401: #expire has shown the login form
      this.#token = null;
      this.notice = toFormErrors(error)?.message ?? '';
      this.phase = 'login';
    }
  }

  readonly #onLoggedIn = (e: CustomEvent<LoginResponse>): void => {
    this.#token = e.detail.token;
    writeToken({ token: e.detail.token, expiresAt: e.detail.expiresAt });
    this.#enter(e.detail.user);
  };

  #enter(user: User): void {
    this.user = user;
    this.notice = '';
    this.phase = 'ready';
    if (!viewsFor(user.role).some((v) => v.id === this.view)) this.#go('online', true);
    if (roleAtLeast(user.role, 'moderator')) this.#poll.start();
  }

  #leave(notice: string): void {
    this.#poll.stop();
    this.#token = null;
    clearToken();
    this.user = null;
    this.#clearData();
    this.notice = notice;
    this.phase = 'login';
  }

  #expire(error: ApiError): void {
    if (this.phase === 'login') return;
    console.info('[admin] token refused:', error.message);
    this.#leave(error.code === 'banned' ? sentence(error.message) : 'Your session expired. Log in again.');
  }

  readonly #logOut = (): void => this.#leave('You have logged out.');

  #clearData(): void {
    this.sessions = this.channels = this.stats = this.rates = this.bans = this.users = null;
    this.#lastSample = null;
    this.pollError = '';
    this.now = Date.now();
  }

  /** One poll: what the current view shows, in parallel. */
  async #refresh(): Promise<void> {
    const view = this.view;
    const api = this.api;
    const live = (): boolean => this.phase === 'ready';
    const jobs: Promise<unknown>[] = [];
    if (view === 'online' || view === 'channels') {
      jobs.push(api.sessions().then((s) => live() && (this.sessions = s)));
      jobs.push(api.channels().then((c) => live() && (this.channels = c)));
    }
    if (view === 'online') {
      jobs.push(
        api.stats().then((stats) => {
          if (!live()) return;
          const sample = { stats, atMs: performance.now() };
          this.rates = statsRates(this.#lastSample, sample);
          this.#lastSample = sample;
          this.stats = stats;
        }),
      );
    }
    if (view === 'bans') jobs.push(api.bans().then((b) => live() && (this.bans = b)));
    if (view === 'users') jobs.push(api.users().then((u) => live() && (this.users = u)));
    const failed = (await Promise.allSettled(jobs)).find((r) => r.status === 'rejected');
    if (!live()) return;
    this.now = Date.now();
    this.pollError = failed ? `Could not refresh: ${toFormErrors(failed.reason)?.message ?? ''}` : '';
  }

  readonly #onChanged = (): void => {
    void this.#poll.refresh();
  };

  #go(view: ViewId, replace = false): void {
    const path = VIEWS.find((v) => v.id === view)!.path;
    if (replace) history.replaceState(null, '', path);
    else if (location.pathname !== path) history.pushState(null, '', path);
    this.view = view;
    void this.#poll.refresh();
  }

  readonly #onNav = (e: MouseEvent, view: ViewId): void => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // new tab/window: let the browser
    e.preventDefault();
    this.#go(view);
  };

  readonly #onPopState = (): void => {
    const view = viewAt(location.pathname);
    if (this.user && viewsFor(this.user.role).some((v) => v.id === view)) this.#go(view, true);
  };

  override render(): TemplateResult {
    if (this.phase === 'checking') return html`<p class="checking" role="status">Checking your session…</p>`;
    if (this.phase === 'login' || !this.user) {
      return html`<main class="login"><login-form .api=${this.api} .notice=${this.notice} @admin-logged-in=${this.#onLoggedIn}></login-form></main>`;
    }
    const user = this.user;
    const views = viewsFor(user.role);
    return html`<header>
        <span class="brand">${serverIcon} voice-app admin</span>
        <nav aria-label="Admin sections">
          ${views.map(
            (v) =>
              html`<a href=${v.path} aria-current=${v.id === this.view ? 'page' : 'false'} @click=${(e: MouseEvent) => this.#onNav(e, v.id)}
                >${v.label}</a
              >`,
          )}
        </nav>
        <span class="who"><span>${user.name}</span> <span class="badge">${user.role}</span></span>
        <button type="button" @click=${this.#logOut}>Log out</button>
      </header>
      <main>
        ${this.pollError ? html`<p class="error" role="alert">${this.pollError}</p>` : nothing}
        ${views.length === 0
          ? html`<p class="error" role="alert">
              The ${user.role} role cannot use the admin panel. Log out and log in with a moderator or admin account.
            </p>`
          : this.#renderView()}
      </main>`;
  }

  #renderView(): TemplateResult {
    const me = this.user!;
    switch (this.view) {
      case 'online':
        return html`<sessions-table .api=${this.api} .me=${me} .sessions=${this.sessions} .channels=${this.channels} .now=${this.now}></sessions-table>
          <stats-panel .stats=${this.stats} .rates=${this.rates}></stats-panel>`;
      case 'bans':
        return html`<bans-table .api=${this.api} .bans=${this.bans} .now=${this.now}></bans-table>`;
      case 'channels':
        return html`<channels-admin .api=${this.api} .channels=${this.channels} .sessions=${this.sessions}></channels-admin>`;
      case 'users':
        return html`<users-admin .api=${this.api} .me=${me} .users=${this.users} .now=${this.now}></users-admin>`;
      default:
        return assertNever(this.view, 'view');
    }
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    /** A section changed something on the server: poll now. */
    'admin-changed': CustomEvent<undefined>;
    'admin-logged-in': CustomEvent<LoginResponse>;
  }
}
