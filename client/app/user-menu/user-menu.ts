import { UserMenu } from './user-menu.component.ts';

export { UserMenu };

customElements.define('user-menu', UserMenu);

declare global {
  interface HTMLElementTagNameMap {
    'user-menu': UserMenu;
  }
}
