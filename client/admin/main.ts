/** The /admin page: the app's palette, then the panel. No service worker here (see vite.config.ts). */
import '../src/page.css';
import './admin-app/admin-app.ts';
