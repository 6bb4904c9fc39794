/**
 * Registers the service worker built by vite-plugin-pwa (see vite.config.ts).
 * Registration happens from this bundled module, never from an inline script,
 * which the page's CSP would refuse.
 *
 * Updates: a new worker installs in the background and waits until no window
 * runs the old build; it is never told to skip waiting, because an open page
 * may be in a call and still load chunks that only the old worker has cached.
 */
/// <reference types="vite-plugin-pwa/vanillajs" />
import { registerSW } from 'virtual:pwa-register';

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  registerSW({
    immediate: true,
    onNeedRefresh() {
      console.info('[pwa] a new version is installed; it takes over once every voice-app window is closed');
    },
    // Only reached if another window made the new worker take over: keep this page as it is, not reloaded mid-call.
    onNeedReload() {
      console.info('[pwa] a new version took over; it runs from the next load');
    },
    onRegisterError(error: unknown) {
      console.error('[pwa] service worker registration failed', error);
    },
  });
}
