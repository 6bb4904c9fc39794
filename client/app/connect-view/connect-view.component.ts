/**
 * <connect-view>: where to connect (address, port, nickname, account
 * password) and the saved bookmarks. Connecting dispatches `voice-connect`
 * synchronously inside the click or Enter, so the app can start audio within
 * the user's gesture.
 *
 * The password is the account password of a registered nickname (guests leave
 * it empty); it is kept with bookmarks and sent in the hello. "Register this
 * name" asks the server to create that account first; it is never kept with a
 * bookmark (the next connect logs in). Why the last attempt failed or the
 * session ended (`problem`: refused, kicked, banned…) stays shown until the
 * next attempt.
 *
 * Test hooks: inputs labelled "Nickname", "Password (registered users)",
 * checkbox "Register this name"; the problem is `.problem` (role alert).
 *
 * Events: `voice-connect` (ConnectRequest), `voice-cancel` (stop connecting).
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_ACCOUNT_PASSWORD_LENGTH } from '../../../shared/control/protocol.ts';
import { pageAddress, parseServerAddress } from '../../browser/browser-voice-session.ts';
import { hostPort } from '../../../shared/net/host-port.ts';
import type { ConnectRequest } from '../voice-app/dial.ts';
import { BookmarkStore, type Bookmark, type BookmarkFields } from '../storage/bookmark-store.ts';
import { readJson, readText, writeJson } from '../storage/local-store.ts';
import type { BookmarkEventDetail } from '../bookmark-list/bookmark-list.component.ts';
import { styles } from './connect-view.styles.ts';
import '../bookmark-list/bookmark-list.ts';

const LAST_KEY = 'voice-app.last-server';
/** Where the first shell kept the nickname (a bare string, not JSON). */
const LEGACY_NICK_KEY = 'voice-app.nickname';
const lastSchema = z.object({ host: z.string().max(253), port: z.number().int().min(1).max(65535), nickname: z.string().max(32) });

export class ConnectView extends LitElement {
  static override styles = styles;
  static override properties = {
    busy: { type: Boolean },
    problem: {},
    host: { state: true },
    port: { state: true },
    nickname: { state: true },
    password: { state: true },
    register: { state: true },
    label: { state: true },
    editing: { state: true },
    bookmarks: { state: true },
    formError: { state: true },
    note: { state: true },
  };

  /** A connection attempt is under way. */
  declare busy: boolean;
  /** Why the last attempt failed or the session ended. */
  declare problem: string;
  declare host: string;
  declare port: string;
  declare nickname: string;
  /** The account password ('' for a guest). */
  declare password: string;
  /** Create the account on connect (not kept with bookmarks). */
  declare register: boolean;
  declare label: string;
  /** The bookmark being edited in the form, if any. */
  declare editing: Bookmark | null;
  declare bookmarks: Bookmark[];
  declare formError: string;
  /** Quiet feedback: saved, deleted, or why bookmarks are unavailable. */
  declare note: string;
  #store: Promise<BookmarkStore> | null = null;

  constructor() {
    super();
    const page = pageAddress();
    const last = readJson(LAST_KEY, lastSchema, { host: page.host, port: page.port, nickname: (readText(LEGACY_NICK_KEY) ?? '').slice(0, 32) });
    this.busy = false;
    this.problem = '';
    this.host = last.host || page.host;
    this.port = String(last.port);
    this.nickname = last.nickname;
    this.password = '';
    this.register = false;
    this.label = '';
    this.editing = null;
    this.bookmarks = [];
    this.formError = '';
    this.note = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#store = BookmarkStore.open();
    void this.#reload();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    const store = this.#store;
    this.#store = null;
    // A store that failed to open has nothing to close; #reload already said why.
    store?.then((s) => s.close(), () => undefined);
  }

  async #reload(): Promise<void> {
    try {
      this.bookmarks = await (await this.#storeOrThrow()).list();
    } catch (error) {
      this.note = `Bookmarks are unavailable in this browser: ${(error as Error).message}`;
    }
  }

  #storeOrThrow(): Promise<BookmarkStore> {
    if (!this.#store) throw new Error('the bookmark store is closed');
    return this.#store;
  }

  /** The form as bookmark fields, or null with formError set. */
  #fields(): BookmarkFields | null {
    const address = parseServerAddress(this.host, Number(this.port));
    if (!address) {
      this.formError = 'Enter a server address (a host name or IP) and a port between 1 and 65535.';
      return null;
    }
    this.formError = '';
    const page = pageAddress();
    const fallbackLabel = address.port === page.port ? address.host : hostPort(address);
    return { label: this.label.trim() || fallbackLabel, address: address.host, port: address.port, nickname: this.nickname.trim(), password: this.password };
  }

  #connect(fields: BookmarkFields, register: boolean): void {
    if (this.busy) return;
    if (!fields.nickname) {
      this.formError = 'Choose a nickname first.';
      this.renderRoot.querySelector<HTMLInputElement>('#nick')?.focus();
      return;
    }
    if (register && fields.password.length < MIN_ACCOUNT_PASSWORD_LENGTH) {
      this.formError = `To register “${fields.nickname}”, choose a password of at least ${MIN_ACCOUNT_PASSWORD_LENGTH} characters.`;
      this.renderRoot.querySelector<HTMLInputElement>('#password')?.focus();
      return;
    }
    this.formError = '';
    writeJson(LAST_KEY, { host: fields.address, port: fields.port, nickname: fields.nickname });
    const detail: ConnectRequest = { host: fields.address, port: fields.port, nickname: fields.nickname, password: fields.password, register };
    this.dispatchEvent(new CustomEvent<ConnectRequest>('voice-connect', { detail, bubbles: true, composed: true }));
  }

  readonly #onSubmit = (e: SubmitEvent): void => {
    e.preventDefault();
    const fields = this.#fields();
    if (fields) this.#connect(fields, this.register);
  };

  async #save(): Promise<void> {
    const fields = this.#fields();
    if (!fields) return;
    try {
      const store = await this.#storeOrThrow();
      if (this.editing) await store.update({ ...fields, id: this.editing.id });
      else await store.add(fields);
      this.note = `Saved “${fields.label}”.`;
      this.#fill(null);
      await this.#reload();
    } catch (error) {
      this.formError = `The bookmark could not be saved: ${(error as Error).message}`;
    }
  }

  /** Puts a bookmark into the form (or clears the bookmark fields). */
  #fill(bookmark: Bookmark | null): void {
    this.editing = bookmark;
    this.label = bookmark?.label ?? '';
    this.password = bookmark?.password ?? '';
    if (bookmark) {
      this.host = bookmark.address;
      this.port = String(bookmark.port);
      this.nickname = bookmark.nickname || this.nickname;
    }
    this.formError = '';
  }

  readonly #onBookmarkConnect = (e: CustomEvent<BookmarkEventDetail>): void => {
    const b = e.detail.bookmark;
    this.#fill(null);
    this.host = b.address;
    this.port = String(b.port);
    if (b.nickname) this.nickname = b.nickname;
    this.password = b.password;
    this.register = false;
    this.#connect({ ...b, nickname: b.nickname || this.nickname.trim() }, false);
  };

  readonly #onBookmarkEdit = (e: CustomEvent<BookmarkEventDetail>): void => {
    this.#fill(e.detail.bookmark);
    this.note = '';
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('#host')?.focus());
  };

  readonly #onBookmarkDelete = async (e: CustomEvent<BookmarkEventDetail>): Promise<void> => {
    const b = e.detail.bookmark;
    try {
      await (await this.#storeOrThrow()).delete(b.id);
      if (this.editing?.id === b.id) this.#fill(null);
      this.note = `Deleted “${b.label}”.`;
      await this.#reload();
    } catch (error) {
      this.note = `The bookmark could not be deleted: ${(error as Error).message}`;
    }
  };

  #input(field: 'host' | 'port' | 'nickname' | 'password' | 'label') {
    return (e: Event): void => {
      this[field] = (e.target as HTMLInputElement).value;
    };
  }

  override render(): TemplateResult {
    return html`
      <main>
        <div class="intro">
          <h1>voice-app</h1>
          <p class="hint">Voice chat in the browser — pick a server, pick a channel, talk.</p>
        </div>
        <div class="cards">
          <section class="card" aria-labelledby="connect-heading">
            <h2 id="connect-heading">${this.editing ? `Edit bookmark “${this.editing.label}”` : 'Connect to a server'}</h2>
            <form @submit=${this.#onSubmit} novalidate>
              <div class="row">
                <div class="field grow">
                  <label for="host">Server address</label>
                  <input id="host" name="host" autocomplete="off" spellcheck="false" .value=${this.host} @input=${this.#input('host')} />
                </div>
                <div class="field port">
                  <label for="port">Port</label>
                  <input id="port" name="port" type="number" inputmode="numeric" min="1" max="65535" .value=${this.port} @input=${this.#input('port')} />
                </div>
              </div>
              <div class="field">
                <label for="nick">Nickname</label>
                <input id="nick" name="nick" autocomplete="nickname" maxlength="32" .value=${this.nickname} @input=${this.#input('nickname')} />
              </div>
              <div class="field">
                <label for="password">Password <span class="optional">(registered users)</span></label>
                <input
                  id="password"
                  name="password"
                  type="password"
                  autocomplete=${this.register ? 'new-password' : 'current-password'}
                  maxlength=${MAX_PASSWORD_LENGTH}
                  aria-describedby="password-hint"
                  .value=${this.password}
                  @input=${this.#input('password')}
                />
                <p id="password-hint" class="hint">The password of your account on this server. Guests leave it empty.</p>
                <label class="check">
                  <input type="checkbox" aria-describedby="register-hint" .checked=${this.register} @change=${(e: Event) => (this.register = (e.target as HTMLInputElement).checked)} />
                  Register this name
                </label>
                <p id="register-hint" class="hint">
                  Creates an account for this nickname with the password above (at least ${MIN_ACCOUNT_PASSWORD_LENGTH} characters).
                </p>
              </div>
              <div class="field">
                <label for="label">Bookmark name <span class="optional">(optional)</span></label>
                <input id="label" name="label" maxlength="64" placeholder=${this.host || 'My server'} .value=${this.label} @input=${this.#input('label')} />
              </div>
              ${this.formError ? html`<p class="error" role="alert">${this.formError}</p>` : nothing}
              ${this.problem && !this.busy ? html`<p class="error problem" role="alert">${this.problem}</p>` : nothing}
              <div class="actions">
                ${this.busy
                  ? html`<button type="button" class="primary" disabled>Connecting…</button>
                      <button type="button" @click=${() => this.dispatchEvent(new CustomEvent('voice-cancel', { bubbles: true, composed: true }))}>Cancel</button>`
                  : html`<button type="submit" class="primary">Connect</button>`}
                <span class="spacer"></span>
                ${this.editing
                  ? html`<button type="button" @click=${() => void this.#save()}>Save bookmark</button>
                      <button type="button" class="quiet" @click=${() => this.#fill(null)}>Cancel editing</button>`
                  : html`<button type="button" @click=${() => void this.#save()}>Save as bookmark</button>`}
              </div>
            </form>
          </section>
          <section class="card" aria-labelledby="bookmarks-heading">
            <h2 id="bookmarks-heading">Bookmarks</h2>
            <bookmark-list
              .bookmarks=${this.bookmarks}
              ?busy=${this.busy}
              @bookmark-connect=${this.#onBookmarkConnect}
              @bookmark-edit=${this.#onBookmarkEdit}
              @bookmark-delete=${this.#onBookmarkDelete}
            ></bookmark-list>
            <p class="note" aria-live="polite">${this.note}</p>
          </section>
        </div>
        ${crossOriginIsolated ? nothing : html`<p class="hint">This page is not cross-origin isolated, so audio cannot start: the server must send the COOP/COEP headers.</p>`}
      </main>
    `;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'voice-connect': CustomEvent<ConnectRequest>;
    'voice-cancel': CustomEvent<undefined>;
  }
}
