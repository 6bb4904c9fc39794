import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/** Headers that make the page crossOriginIsolated (SharedArrayBuffer for the audio ring). */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

// `npm run dev`: Vite serves the client with hot reload and forwards the control
// lane and API to a server started with `npm run serve` (VOICE_PORT, default 8080).
const backend = `http://127.0.0.1:${process.env['VOICE_PORT'] ?? '8080'}`;

/** Page background and chrome colour, as in client/src/page.css. */
const PAGE_BACKGROUND = '#14161a';

/**
 * Installable PWA with an offline shell (client/pwa/). Workbox precaches the
 * built shell. Page loads go to the server first and fall back to the
 * precached index.html only when it cannot be reached: a cache-first shell
 * would open the previous build after every deploy, and chunks that page
 * loads later (the DSP worker) could by then be gone from the server and from
 * the updated precache alike. Nothing is cached at
 * runtime, so /health, /api and /control always reach the server. The page
 * registers the worker itself (client/pwa/register.ts): the CSP forbids the
 * plugin's inline script. Precached responses keep the server's COOP/COEP/CSP
 * headers, so a page served from the cache is still crossOriginIsolated.
 */
const pwa = VitePWA({
  injectRegister: false,
  // A new worker waits until no window runs the old build, so an open page (perhaps in a call) keeps every chunk it may still load.
  registerType: 'prompt',
  // The glob below already takes every icon; the plugin adds manifest.webmanifest itself.
  includeManifestIcons: false,
  manifest: {
    name: 'voice-app',
    short_name: 'voice-app',
    description: 'Self-hosted voice chat in the browser.',
    id: '/',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    theme_color: PAGE_BACKGROUND,
    background_color: PAGE_BACKGROUND,
    icons: [
      { src: '/pwa-192x192.png', sizes: '192x192', type: 'image/png' },
      { src: '/pwa-512x512.png', sizes: '512x512', type: 'image/png' },
      { src: '/maskable-icon-512x512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  },
  workbox: {
    globPatterns: ['**/*.{html,js,css,wasm,svg,png}'],
    // The admin panel (client/admin/) is not part of the offline shell: a precached admin/index.html
    // would be answered from the cache, an old build after a deploy. Its chunks shared with the app stay.
    globIgnores: ['admin/**', 'assets/admin-*'],
    // The Opus codec chunk carries its WebAssembly inline (~0.5 MB); leave headroom over Workbox's 2 MiB default.
    maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
    navigateFallback: null,
    // Otherwise the precache route answers "/" with its index.html before the network-first route below sees it.
    directoryIndex: null,
    cleanupOutdatedCaches: true,
    // Workbox serialises this matcher into sw.js: it must stand alone.
    runtimeCaching: [
      {
        urlPattern: ({ request, url }) => request.mode === 'navigate' && !/^\/(api|health|control|admin)(\/|$)/.test(url.pathname),
        handler: 'NetworkOnly',
        options: { precacheFallback: { fallbackURL: 'index.html' } },
      },
    ],
  },
});

/**
 * vite-plugin-pwa links the web manifest from every page. The admin panel is not the
 * installable app (installing from /admin would open /), so its page goes without.
 */
const adminWithoutManifest: Plugin = {
  name: 'voice-app:admin-without-manifest',
  apply: 'build',
  enforce: 'post',
  transformIndexHtml: {
    order: 'post',
    handler: (html, ctx) => (ctx.path.startsWith('/admin/') ? html.replace(/\s*<link rel="manifest"[^>]*>/, '') : html),
  },
};

export default defineConfig({
  root: 'client',
  publicDir: 'public',
  // Worklets and the DSP worker are bundled as ES modules (the Opus module uses import.meta and a dynamic import).
  worker: { format: 'es' },
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Two pages: the app, and the admin panel (client/admin/, built to dist/client/admin/index.html,
    // served by the server for /admin and /admin/...). They share chunks (Lit, styles) under assets/.
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./client/index.html', import.meta.url)),
        admin: fileURLToPath(new URL('./client/admin/index.html', import.meta.url)),
      },
    },
  },
  plugins: [pwa, adminWithoutManifest],
  server: {
    headers: isolation,
    proxy: {
      '/control': { target: backend, ws: true },
      '/api': backend,
      '/health': backend,
    },
  },
  preview: { headers: isolation },
});
