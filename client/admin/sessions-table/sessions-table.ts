import '../kick-dialog/kick-dialog.ts';
import '../ban-dialog/ban-dialog.ts';
import { SessionsTable } from './sessions-table.component.ts';

export { SessionsTable };

customElements.define('sessions-table', SessionsTable);

declare global {
  interface HTMLElementTagNameMap {
    'sessions-table': SessionsTable;
  }
}
