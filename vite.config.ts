import { defineConfig } from 'vite';

/** Headers that make the page crossOriginIsolated (SharedArrayBuffer for the audio ring). */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

// `npm run dev`: Vite serves the client with hot reload and forwards the control
// lane and API to a server started with `npm run serve` (VOICE_PORT, default 8080).
const backend = `http://127.0.0.1:${process.env['VOICE_PORT'] ?? '8080'}`;

export default defineConfig({
  root: 'client',
  publicDir: 'public',
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
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
