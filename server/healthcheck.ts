/**
 * `node server/healthcheck.js`: exits 0 when this machine's server answers
 * GET /health with 200 and `ok: true` within 3 s, else prints one line to
 * stderr and exits 1. Reads the server's own VOICE_* settings, so it asks the
 * address and port the server listens on (loopback when it listens on every
 * interface). Docker's HEALTHCHECK and deploy/install.sh, update.sh use it:
 * the images and hosts it runs on need no curl.
 */
import { loadConfig } from './config.ts';

const TIMEOUT_MS = 3000;

/** The URL to probe for a server listening on host:port. */
export function healthUrl(host: string, port: number): string {
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${target.includes(':') ? `[${target}]` : target}:${port}/health`;
}

/** Probes once; resolves to null when healthy, else the reason. */
export async function probe(url: string, timeoutMs = TIMEOUT_MS): Promise<string | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    const body = (await res.json().catch(() => null)) as { ok?: unknown } | null;
    if (res.status !== 200 || body?.ok !== true) return `${url} answered ${res.status}`;
    return null;
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return `${url}: ${e.cause?.code ?? e.name}${e.name === 'TimeoutError' ? ` after ${timeoutMs} ms` : ''}`;
  }
}

if (import.meta.main) {
  let url: string;
  try {
    const config = loadConfig();
    url = healthUrl(config.host, config.port);
  } catch (error) {
    process.stderr.write(`voice-app healthcheck: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const problem = await probe(url);
  if (problem !== null) {
    process.stderr.write(`voice-app healthcheck: unhealthy: ${problem}\n`);
    process.exit(1);
  }
}
