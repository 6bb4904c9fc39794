/**
 * Entry point: `node server/main.ts`. Exits non-zero with one clear line when
 * the configuration, the database or a migration is wrong; SIGTERM/SIGINT end
 * every session and close the database cleanly.
 */
import { loadConfig } from './config.ts';
import { startServer } from './app.ts';
import { createLogger } from './util/log.ts';

const log = createLogger('main');

let server;
try {
  server = await startServer(loadConfig());
} catch (error) {
  const e = error as Error;
  process.stderr.write(`voice-app: cannot start: ${e.name === 'Error' ? '' : e.name + ': '}${e.message}\n`);
  process.exit(1);
}

const running = server;
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  });
}
