/**
 * <bookmark-list>: saved servers, each one click from connecting, with edit
 * and delete. Holds no state: the connect view owns the store.
 *
 * Events (bubbling, composed): `bookmark-connect`, `bookmark-edit`,
 * `bookmark-delete`, each with `{ bookmark }`.
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import type { Bookmark } from '../storage/bookmark-store.ts';
import { lockIcon, serverIcon } from '../shared/icons.ts';
import { styles } from './bookmark-list.styles.ts';

export type BookmarkEventDetail = { bookmark: Bookmark };

export class BookmarkList extends LitElement {
  static override styles = styles;
  static override properties = {
    bookmarks: { attribute: false },
    busy: { type: Boolean },
  };

  declare bookmarks: readonly Bookmark[];
  /** A connection attempt is under way: one-click connect waits. */
  declare busy: boolean;

  constructor() {
    super();
    this.bookmarks = [];
    this.busy = false;
  }

  #emit(type: 'bookmark-connect' | 'bookmark-edit' | 'bookmark-delete', bookmark: Bookmark): void {
    this.dispatchEvent(new CustomEvent<BookmarkEventDetail>(type, { detail: { bookmark }, bubbles: true, composed: true }));
  }

  override render(): TemplateResult {
    if (this.bookmarks.length === 0) {
      return html`<p class="empty">No bookmarks yet. Fill in the form and choose <em>Save as bookmark</em>.</p>`;
    }
    return html`<ul>
      ${this.bookmarks.map(
        (b) => html`<li data-bookmark=${b.label}>
          <button class="open" ?disabled=${this.busy} title="Connect to ${b.label}" @click=${() => this.#emit('bookmark-connect', b)}>
            ${serverIcon}
            <span class="text">
              <span class="label">${b.label}</span>
              <span class="where">${b.nickname ? html`<span>${b.nickname} @</span> ` : nothing}<span>${b.address}:${b.port}</span></span>
            </span>
            ${b.password ? html`<span class="pw" title="Account password saved">${lockIcon}</span>` : nothing}
          </button>
          <button class="quiet" aria-label="Edit ${b.label}" @click=${() => this.#emit('bookmark-edit', b)}>Edit</button>
          <button class="quiet danger" aria-label="Delete ${b.label}" @click=${() => this.#emit('bookmark-delete', b)}>Delete</button>
        </li>`,
      )}
    </ul>`;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'bookmark-connect': CustomEvent<BookmarkEventDetail>;
    'bookmark-edit': CustomEvent<BookmarkEventDetail>;
    'bookmark-delete': CustomEvent<BookmarkEventDetail>;
  }
}
