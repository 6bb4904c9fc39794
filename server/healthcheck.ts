/**
 * `node server/healthcheck.js [--expect-version V]`: exits 0 when this
 * machine's server answers GET /health with 200 and `ok: true` (and, with
 * --expect-version, `version: V`) within 3 s, else prints one line to stderr
 * and exits 1. Reads the server's own VOICE_* settings, so it asks the address
 * and port the server listens on (loopback when it listens on every
 * interface). Docker's HEALTHCHECK runs it as it is; deploy/install.sh and
 * update.sh run the copy inside the release they activate, with that
 * release's VERSION, so an old process still answering does not count. The
 * images and hosts it runs on need no curl.
 */
import { loadConfig } from './config.ts';
import { hostPort, localHost } from '../shared/net/host-port.ts';

const TIMEOUT_MS = 3000;

/** The URL to probe for a server listening on host:port. */
export function healthUrl(host: string, port: number): string {
  return `http://${hostPort({ host: localHost(host), port })}/health`;
}

export interface ProbeOptions {
  readonly timeoutMs?: number;
  /** The answer must carry this `version`. */
  readonly expectVersion?: string;
}

/** Probes once; resolves to null when healthy, else the reason. */
export async function probe(url: string, options: ProbeOptions = {}): Promise<string | null> {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    const body = (await res.json().catch(() => null)) as { ok?: unknown; version?: unknown } | null;
    if (res.status !== 200 || body?.ok !== true) return `${url} answered ${res.status}`;
    if (options.expectVersion !== undefined && body.version !== options.expectVersion) {
      return `${url} answered version ${JSON.stringify(body.version) ?? 'none'}, expected ${JSON.stringify(options.expectVersion)}`;
    }
    return null;
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return `${url}: ${e.cause?.code ?? e.name}${e.name === 'TimeoutError' ? ` after ${timeoutMs} ms` : ''}`;
  }
}

/** The command line: nothing, or `--expect-version V`. */
export function parseArgs(argv: readonly string[]): { expectVersion?: string } {
  if (argv.length === 0) return {};
  if (argv.length === 2 && argv[0] === '--expect-version' && argv[1] !== '') return { expectVersion: argv[1]! };
  throw new Error(`usage: healthcheck.js [--expect-version VERSION] (got: ${argv.join(' ')})`);
}

if (import.meta.main) {
  let url: string;
  let options: ProbeOptions;
  try {
    options = parseArgs(process.argv.slice(2));
    const config = loadConfig();
    url = healthUrl(config.host, config.port);
  } catch (error) {
    process.stderr.write(`voice-app healthcheck: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const problem = await probe(url, options);
  if (problem !== null) {
    process.stderr.write(`voice-app healthcheck: unhealthy: ${problem}\n`);
    process.exit(1);
  }
}
