/** Registers <admin-app> and every element it renders. */
import '../login-form/login-form.ts';
import '../stats-panel/stats-panel.ts';
import '../sessions-table/sessions-table.ts';
import '../bans-table/bans-table.ts';
import '../channels-admin/channels-admin.ts';
import '../users-admin/users-admin.ts';
import { AdminApp } from './admin-app.component.ts';

export { AdminApp };

customElements.define('admin-app', AdminApp);

declare global {
  interface HTMLElementTagNameMap {
    'admin-app': AdminApp;
  }
}
