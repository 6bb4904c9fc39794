/**
 * The installable app in real Chromium against a real server: the manifest and
 * its PNG icons, the service worker taking control with the page still
 * crossOriginIsolated, Chromium's own installability check, and the offline
 * shell: with the server stopped, a reload still shows the app, served by the
 * worker, with the "Server unreachable" banner.
 *
 * The steps share one page and run in order; each builds on the one before.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../integration/harness.ts';
import { launchChromium, type Browser } from './chromium.ts';
import { screenshot } from './app-driver.ts';

let t: TestServer;
let browser: Browser;
let page: Page;
let origin: string;
const pageErrors: string[] = [];
/** Paths of the page loads (navigations) that reached the server. */
const navigations: string[] = [];

/** The test stops the server itself; after() must not stop it twice. */
let stopping: Promise<void> | undefined;
function stopServer(): Promise<void> {
  stopping ??= t.close();
  return stopping;
}

before(async () => {
  t = await startTestServer();
  origin = new URL(t.server.url).origin;
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  t.server.http.on('request', (req: IncomingMessage) => {
    if (req.headers['sec-fetch-mode'] === 'navigate') navigations.push(req.url ?? '');
  });
});
after(async () => {
  await browser?.close();
  if (t) await stopServer();
});

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.deepEqual([...bytes.subarray(0, 8)], signature, 'PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(new TextDecoder().decode(bytes.subarray(12, 16)), 'IHDR', 'first chunk is IHDR');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** The Date header of the precached index.html, as the worker stored it. */
async function precachedShellDate(): Promise<string> {
  const date = await page.evaluate(async () => (await caches.match('/index.html', { ignoreSearch: true }))?.headers.get('date'));
  assert.ok(date, 'index.html is precached');
  return date;
}

test('the page links a valid web manifest with 192 and 512 px PNG icons', async () => {
  const response = await page.goto(t.server.url);
  assert.equal(response?.status(), 200);
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  assert.ok(href, 'a manifest link');
  assert.equal(await page.locator('meta[name="theme-color"]').getAttribute('content'), '#14161a');

  const res = await fetch(new URL(href, origin));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/manifest\+json/);
  const manifest = (await res.json()) as Record<string, unknown>;
  assert.equal(manifest['name'], 'voice-app');
  assert.ok(typeof manifest['short_name'] === 'string' && manifest['short_name'].length > 0);
  assert.equal(manifest['start_url'], '/');
  assert.equal(manifest['scope'], '/');
  assert.equal(manifest['display'], 'standalone');
  assert.equal(manifest['theme_color'], '#14161a');
  assert.equal(manifest['background_color'], '#14161a');

  const icons = manifest['icons'] as ManifestIcon[];
  for (const size of [192, 512]) {
    assert.ok(icons.some((i) => i.sizes === `${size}x${size}` && i.type === 'image/png' && (i.purpose ?? 'any') === 'any'), `a ${size} px icon`);
  }
  assert.ok(icons.some((i) => i.purpose === 'maskable'), 'a maskable icon');
  for (const icon of icons) {
    const r = await fetch(new URL(icon.src, origin));
    assert.equal(r.status, 200, icon.src);
    assert.equal(r.headers.get('content-type'), 'image/png', icon.src);
    const [w, h] = icon.sizes.split('x').map(Number);
    assert.deepEqual(pngSize(new Uint8Array(await r.arrayBuffer())), { width: w, height: h }, `${icon.src} is ${icon.sizes}`);
  }
});

test('the server lets the service worker update and keeps hashed assets immutable', async () => {
  const sw = await fetch(new URL('/sw.js', origin));
  assert.equal(sw.status, 200);
  assert.equal(sw.headers.get('cache-control'), 'no-cache');
  const script = await sw.text();
  const runtime = /workbox-[0-9a-f]+/.exec(script)?.[0];
  assert.ok(runtime, 'sw.js imports the Workbox runtime');
  assert.equal((await fetch(new URL(`/${runtime}.js`, origin))).headers.get('cache-control'), 'no-cache');
  const asset = await page.locator('script[type="module"][src^="/assets/"]').getAttribute('src');
  assert.ok(asset);
  assert.equal((await fetch(new URL(asset, origin))).headers.get('cache-control'), 'public, max-age=31536000, immutable');
});

test('the service worker registers, controls the page after a reload, and the page stays crossOriginIsolated', async () => {
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated', null, { timeout: 10_000 });
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller), null, 'the first load is not controlled');

  navigations.length = 0;
  const response = await page.reload();
  assert.equal(response?.status(), 200);
  assert.equal(response?.fromServiceWorker(), true, 'the reload goes through the service worker');
  assert.deepEqual(navigations, ['/'], 'online, the worker takes the page from the server, not from its cache');
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL), `${origin}/sw.js`);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'crossOriginIsolated when served by the worker');

  // Only the built shell is cached: nothing from /health, /api or /control.
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
    }
    return urls;
  });
  assert.ok(cached.includes('/index.html'), `index.html is precached (${cached.join(', ')})`);
  assert.ok(cached.some((u) => u.startsWith('/assets/') && u.endsWith('.js')), 'the app bundle is precached');
  assert.deepEqual(cached.filter((u) => /^\/(health|api|control)(\/|$)/.test(u)), [], 'no server endpoints cached');

  // While the server answers, the banner shows nothing.
  assert.equal(await page.locator('offline-banner').getByRole('alert').count(), 0);
});

test('the banner follows the browser going offline and back online', async () => {
  const alert = page.locator('offline-banner').getByRole('alert');
  await page.context().setOffline(true);
  await alert.waitFor({ timeout: 5000 });
  await page.context().setOffline(false);
  await alert.waitFor({ state: 'detached', timeout: 5000 });
});

test('Chromium finds the app installable', async () => {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);
    const { url, errors } = await cdp.send('Page.getAppManifest');
    assert.equal(url, `${origin}/manifest.webmanifest`);
    assert.deepEqual(errors, [], 'the manifest parses without errors');
  } finally {
    await cdp.detach();
  }
});

test('with the server stopped, the shell loads from the service worker and says the server is unreachable', async () => {
  await stopServer();
  const health = await page.evaluate(() => fetch('/health', { cache: 'no-store' }).then(() => 'answered', () => 'failed'));
  assert.equal(health, 'failed', '/health is not answered from a cache');

  const response = await page.reload();
  assert.equal(response?.status(), 200);
  assert.equal(response?.fromServiceWorker(), true, 'the precached shell answers');
  const headers = response?.headers() ?? {};
  assert.equal(headers['date'], await precachedShellDate(), 'the page is the precached copy');
  assert.equal(headers['cross-origin-embedder-policy'], 'require-corp', 'COEP kept on the precached page');
  assert.equal(headers['cross-origin-opener-policy'], 'same-origin', 'COOP kept on the precached page');
  assert.match(headers['content-security-policy'] ?? '', /script-src 'self'/, 'CSP kept on the precached page');
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'crossOriginIsolated when served from the precache');
  const alert = page.locator('offline-banner').getByRole('alert');
  await alert.waitFor({ timeout: 10_000 });
  assert.match((await alert.textContent())?.trim() ?? '', /^Server unreachable/);
  // The app itself rendered from the cache, not only the banner: its connect form is there.
  await page.getByLabel('Nickname').waitFor({ timeout: 5000 });

  await screenshot(page, 'offline.png');

  // Any app route falls back to the shell; a denylisted server path never does.
  const route = await page.goto(`${origin}/some/app/route`);
  assert.equal(route?.fromServiceWorker(), true);
  assert.equal(route?.headers()['date'], await precachedShellDate());
  await assert.rejects(page.goto(`${origin}/api/stats`), /ERR_CONNECTION_REFUSED/);
  assert.deepEqual(pageErrors, [], 'no page errors');
});
