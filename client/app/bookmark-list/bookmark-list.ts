import { BookmarkList } from './bookmark-list.component.ts';

export { BookmarkList };

customElements.define('bookmark-list', BookmarkList);

declare global {
  interface HTMLElementTagNameMap {
    'bookmark-list': BookmarkList;
  }
}
