/** Installable app: the offline banner element and the service worker. */
import './offline-banner.ts';
import { registerServiceWorker } from './register.ts';

registerServiceWorker();
