/**
 * The server as a process: fresh and existing data directories, migrations run
 * once, a broken migration or bad configuration stops start-up with one clear
 * line before any port opens, SIGTERM shuts down cleanly.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryDataDir, shippedMigrations, tempDirs } from './harness.ts';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../server-process.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = path.join(root, 'server', 'main.ts');
/** The shipped migrations, by name: what a fresh data dir must end up with. */
const SHIPPED = shippedMigrations();
const temps = tempDirs('voice-app-start-');
const tempDir = temps.make;
after(async () => {
  // A failed assertion skips a test's own SIGTERM; a server left running would hold the test file open.
  killServerProcesses();
  await temps.removeAll();
});

function startProcess(env: Record<string, string>): Promise<ServerProcess> {
  return startServerProcess({
    command: process.execPath,
    args: [main],
    env: { PATH: process.env['PATH'] ?? '', VOICE_HOST: '127.0.0.1', VOICE_PORT: '0', VOICE_LOG_LEVEL: 'info', ...env },
    timeoutMs: 15_000,
  });
}

/** Starts a server that must exit before it listens; resolves to its exit code and output. */
async function startFailing(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const error = await startProcess(env).then(
    () => assert.fail('the server started listening'),
    (e: unknown) => e as Error,
  );
  const m = /^the server exited \((-?\d+|null)\) before listening:\n([\s\S]*)$/.exec(error.message);
  assert.ok(m, `the server exited before listening: ${error.message}`);
  return { code: Number(m[1]), output: m[2]! };
}

function migrationsIn(dataDir: string): string[] {
  return queryDataDir<{ name: string }>(dataDir, 'SELECT name FROM kysely_migration ORDER BY name').map((r) => r.name);
}

test('fresh data dir: migrates, seeds, serves; SIGTERM exits 0; restart on the same dir migrates nothing', async () => {
  const dataDir = await tempDir();
  const first = await startProcess({ VOICE_DATA_DIR: dataDir });
  const health = await fetch(`${first.url}/health`);
  assert.equal(health.status, 200);
  assert.equal(health.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(health.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.match(health.headers.get('content-security-policy') ?? '', /'wasm-unsafe-eval'/);
  const applied = `migrations applied {"applied":${JSON.stringify(SHIPPED)}}`;
  assert.ok(first.output().includes(applied), `the log says: ${applied}`);
  assert.ok(first.output().indexOf('migrations applied') < first.output().indexOf('listening'), 'migrations before the port opens');
  assert.equal(await first.stop(10_000), 0, first.output());
  assert.match(first.output(), /\[server\] stopped/);
  assert.deepEqual(migrationsIn(dataDir), SHIPPED);

  const second = await startProcess({ VOICE_DATA_DIR: dataDir });
  assert.equal((await fetch(`${second.url}/health`)).status, 200);
  assert.doesNotMatch(second.output(), /migrations applied/, 'nothing to apply the second time');
  assert.doesNotMatch(second.output(), /generated the server DTLS identity/, 'the identity is kept');
  assert.equal(await second.stop(10_000), 0, second.output());
  assert.deepEqual(queryDataDir(dataDir, 'SELECT count(*) AS n FROM channels'), [{ n: 4 }], 'seeded once');
  assert.deepEqual(queryDataDir(dataDir, 'PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
});

test('a broken migration stops start-up with one clear line, before any port opens, leaving no half-applied file', async () => {
  const dataDir = await tempDir();
  const migrations = await tempDir();
  await cp(path.join(root, 'migrations'), migrations, { recursive: true });
  await writeFile(path.join(migrations, '9999_broken.sql'), 'CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n');
  const { code, output } = await startFailing({ VOICE_DATA_DIR: dataDir, VOICE_MIGRATIONS_DIR: migrations });
  assert.equal(code, 1);
  const last = output.trim().split('\n').at(-1);
  assert.equal(last, 'voice-app: cannot start: MigrationError: migration 9999_broken.sql failed: no such table: no_such_table');
  assert.doesNotMatch(output, /listening/);
  assert.deepEqual(migrationsIn(dataDir), SHIPPED, 'the good ones stay applied');
  assert.deepEqual(queryDataDir(dataDir, "SELECT name FROM sqlite_master WHERE name = 'half_done'"), [], 'the failed file was rolled back as a whole');
});

test('invalid configuration exits non-zero with one line naming the setting', async () => {
  for (const [env, pattern] of [
    [{ VOICE_PORT: 'eighty' }, /^voice-app: cannot start: ConfigError: VOICE_PORT must be a whole number, got "eighty"$/],
    [{ VOICE_PORTT: '1' }, /^voice-app: cannot start: ConfigError: unknown setting VOICE_PORTT/],
    [{ VOICE_RTC_PORT_MIN: '40000' }, /VOICE_RTC_PORT_MIN and VOICE_RTC_PORT_MAX go together/],
  ] as const) {
    const dataDir = await tempDir();
    const { code, output } = await startFailing({ VOICE_DATA_DIR: dataDir, ...env });
    assert.equal(code, 1);
    assert.equal(output.trim().split('\n').length, 1, `one line: ${output}`);
    assert.match(output.trim(), pattern);
  }
});
