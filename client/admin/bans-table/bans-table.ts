import { BansTable } from './bans-table.component.ts';

export { BansTable };

customElements.define('bans-table', BansTable);

declare global {
  interface HTMLElementTagNameMap {
    'bans-table': BansTable;
  }
}
