/**
 * HTTP: health, the admin API (server/admin/), and the built client with the
 * admin panel at /admin. Every response carries the
 * headers that make the page crossOriginIsolated (COOP + COEP, needed for
 * SharedArrayBuffer) and a CSP that allows WebAssembly compilation.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import Koa from 'koa';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    // Bookmarks may name another voice-app server: its control lane is a WebSocket from this page.
    // Only ws:/wss: are opened up; fetch/XHR to other origins stay blocked.
    "connect-src 'self' ws: wss:",
    "img-src 'self' data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
});

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wav': 'audio/wav',
  '.txt': 'text/plain; charset=utf-8',
};

export interface HttpAppOptions {
  clientDir: string;
  /** Every /api/ route but health (server/admin/admin-api.ts). */
  api: Koa.Middleware;
  health: () => { ok: boolean; [k: string]: unknown };
}

async function fileAt(file: string): Promise<number | null> {
  try {
    const s = await stat(file);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

export function createHttpApp(options: HttpAppOptions): Koa {
  const app = new Koa();
  const root = path.resolve(options.clientDir);

  app.use(async (ctx, next) => {
    ctx.set(SECURITY_HEADERS);
    await next();
  });

  app.use(async (ctx, next) => {
    if (ctx.path === '/health' || ctx.path === '/api/health') {
      const h = options.health();
      ctx.status = h.ok ? 200 : 503;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = h;
      return;
    }
    await next();
  });

  app.use(options.api);

  // The built client: files as they are, and index.html for app routes (no dot in the last segment).
  app.use(async (ctx) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405;
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path);
    } catch {
      ctx.status = 400;
      return;
    }
    let file = path.resolve(root, '.' + path.posix.normalize('/' + rel));
    if (file !== root && !file.startsWith(root + path.sep)) {
      ctx.status = 404;
      return;
    }
    let size = file === root ? null : await fileAt(file);
    if (size === null && !path.posix.basename(rel).includes('.')) {
      // App routes get the app's page; /admin and anything under it the admin panel's.
      const admin = rel === '/admin' || rel.startsWith('/admin/');
      file = path.join(root, admin ? 'admin' : '', 'index.html');
      size = await fileAt(file);
    }
    if (size === null) {
      ctx.status = 404;
      ctx.type = 'text/plain';
      ctx.body = (await fileAt(path.join(root, 'index.html'))) === null
        ? 'The web client is not built. Run "npm run build" (npm start does it for you).\n'
        : 'Not found\n';
      return;
    }
    if (ctx.method === 'GET') ctx.body = createReadStream(file);
    ctx.status = 200;
    ctx.type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    ctx.length = size;
    // Vite's content-hashed build output (assets/name-HASH.ext) can be cached for good; the rest never:
    // index.html, the web manifest, and the service worker with its runtime (sw.js, workbox-HASH.js at the
    // root), which browsers must revalidate so that a new build reaches installed apps.
    const hashed = path.dirname(file) === path.join(root, 'assets') && /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(file);
    ctx.set('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
  });

  return app;
}
