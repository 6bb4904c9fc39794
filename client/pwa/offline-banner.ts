/**
 * <offline-banner>: says so when the server does not answer /health. The shell
 * can load from the service worker while the server is down; this tells the
 * user why nothing connects. Checks on load, on the browser's online/offline
 * events, and every 10 s while the server is unreachable; renders nothing
 * while it answers.
 */
import { LitElement, css, html, nothing } from 'lit';

const HEALTH_URL = '/health';
const CHECK_TIMEOUT_MS = 3000;
const RETRY_MS = 10_000;

export class OfflineBanner extends LitElement {
  static override properties = {
    unreachable: { state: true },
  };

  static override styles = css`
    :host {
      display: block;
    }
    p {
      margin: 0;
      padding: 0.5rem 1rem;
      background: #742a2a;
      color: #fff5f5;
      font: inherit;
      font-size: 0.9rem;
    }
  `;

  declare unreachable: boolean;
  #retry: ReturnType<typeof setInterval> | undefined;
  #inFlight: AbortController | undefined;
  readonly #onNetworkChange = (): void => void this.check();

  constructor() {
    super();
    this.unreachable = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('online', this.#onNetworkChange);
    window.addEventListener('offline', this.#onNetworkChange);
    void this.check();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('online', this.#onNetworkChange);
    window.removeEventListener('offline', this.#onNetworkChange);
    this.#inFlight?.abort();
    this.#inFlight = undefined;
    this.#setRetrying(false);
  }

  /** One health check; a newer check supersedes an older one still in flight. */
  async check(): Promise<void> {
    this.#inFlight?.abort();
    const controller = new AbortController();
    this.#inFlight = controller;
    const ok = await reachable(AbortSignal.any([controller.signal, AbortSignal.timeout(CHECK_TIMEOUT_MS)]));
    if (this.#inFlight !== controller) return;
    this.#inFlight = undefined;
    this.unreachable = !ok;
    this.#setRetrying(!ok);
  }

  #setRetrying(on: boolean): void {
    if (on && this.#retry === undefined) {
      this.#retry = setInterval(() => void this.check(), RETRY_MS);
    } else if (!on && this.#retry !== undefined) {
      clearInterval(this.#retry);
      this.#retry = undefined;
    }
  }

  override render() {
    if (!this.unreachable) return nothing;
    return html`<p role="alert">
      Server unreachable — the app is offline. This goes away when the server answers again.
    </p>`;
  }
}

/** Whether /health answers 2xx. A failed fetch is the answer here, not an error to report. */
async function reachable(signal: AbortSignal): Promise<boolean> {
  try {
    const response = await fetch(HEALTH_URL, { cache: 'no-store', signal });
    return response.ok;
  } catch {
    return false;
  }
}

customElements.define('offline-banner', OfflineBanner);

declare global {
  interface HTMLElementTagNameMap {
    'offline-banner': OfflineBanner;
  }
}
