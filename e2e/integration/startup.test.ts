/**
 * The server as a process: fresh and existing data directories, migrations run
 * once, a broken migration or bad configuration stops start-up with one clear
 * line before any port opens, SIGTERM shuts down cleanly.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { withTimeout } from './harness.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = path.join(root, 'server', 'main.ts');
/** The shipped migrations, by name: what a fresh data dir must end up with. */
const SHIPPED = readdirSync(path.join(root, 'migrations')).filter((f) => f.endsWith('.sql')).sort().map((f) => f.slice(0, -4));
const temps: string[] = [];
const children: ChildProcess[] = [];
after(async () => {
  // A failed assertion skips a test's own SIGTERM; a server left running would hold the test file open.
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'voice-app-start-'));
  temps.push(d);
  return d;
}

interface Run {
  port: Promise<number>;
  exit: Promise<{ code: number | null; stderr: string }>;
  stderr: () => string;
  kill(signal: NodeJS.Signals): void;
}

function startProcess(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env['PATH'] ?? '', VOICE_HOST: '127.0.0.1', VOICE_PORT: '0', VOICE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let err = '';
  let resolvePort: (p: number) => void = () => {};
  const port = new Promise<number>((r) => (resolvePort = r));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    const m = /\[server\] listening .*"port":(\d+)/.exec(err);
    if (m) resolvePort(Number(m[1]));
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr: err })));
  return { port, exit, stderr: () => err, kill: (s) => child.kill(s) };
}

function migrationsIn(dataDir: string): string[] {
  const db = new SQLite(path.join(dataDir, 'voice-app.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

test('fresh data dir: migrates, seeds, serves; SIGTERM exits 0; restart on the same dir migrates nothing', async () => {
  const dataDir = await tempDir();
  const first = startProcess({ VOICE_DATA_DIR: dataDir });
  const port = await withTimeout(first.port, 15_000, 'first start listening');
  const health = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(health.status, 200);
  assert.equal(health.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(health.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.match(health.headers.get('content-security-policy') ?? '', /'wasm-unsafe-eval'/);
  const applied = `migrations applied {"applied":${JSON.stringify(SHIPPED)}}`;
  assert.ok(first.stderr().includes(applied), `the log says: ${applied}`);
  assert.ok(first.stderr().indexOf('migrations applied') < first.stderr().indexOf('listening'), 'migrations before the port opens');
  first.kill('SIGTERM');
  const done = await withTimeout(first.exit, 10_000, 'exit after SIGTERM');
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /\[server\] stopped/);
  assert.deepEqual(migrationsIn(dataDir), SHIPPED);

  const second = startProcess({ VOICE_DATA_DIR: dataDir });
  const port2 = await withTimeout(second.port, 15_000, 'second start listening');
  assert.equal((await fetch(`http://127.0.0.1:${port2}/health`)).status, 200);
  assert.doesNotMatch(second.stderr(), /migrations applied/, 'nothing to apply the second time');
  assert.doesNotMatch(second.stderr(), /generated the server DTLS identity/, 'the identity is kept');
  second.kill('SIGTERM');
  assert.equal((await second.exit).code, 0);
  const db = new SQLite(path.join(dataDir, 'voice-app.sqlite'), { readonly: true });
  assert.equal((db.prepare('SELECT count(*) AS n FROM channels').get() as { n: number }).n, 4, 'seeded once');
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
});

test('a broken migration stops start-up with one clear line, before any port opens, leaving no half-applied file', async () => {
  const dataDir = await tempDir();
  const migrations = await tempDir();
  await cp(path.join(root, 'migrations'), migrations, { recursive: true });
  await writeFile(path.join(migrations, '9999_broken.sql'), 'CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n');
  const run = startProcess({ VOICE_DATA_DIR: dataDir, VOICE_MIGRATIONS_DIR: migrations });
  const { code, stderr } = await withTimeout(run.exit, 15_000, 'exit');
  assert.equal(code, 1);
  const last = stderr.trim().split('\n').at(-1);
  assert.equal(last, 'voice-app: cannot start: MigrationError: migration 9999_broken.sql failed: no such table: no_such_table');
  assert.doesNotMatch(stderr, /listening/);
  assert.deepEqual(migrationsIn(dataDir), SHIPPED, 'the good ones stay applied');
  const db = new SQLite(path.join(dataDir, 'voice-app.sqlite'), { readonly: true });
  const t = db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get();
  db.close();
  assert.equal(t, undefined, 'the failed file was rolled back as a whole');
});

test('invalid configuration exits non-zero with one line naming the setting', async () => {
  for (const [env, pattern] of [
    [{ VOICE_PORT: 'eighty' }, /^voice-app: cannot start: ConfigError: VOICE_PORT must be a whole number, got "eighty"$/],
    [{ VOICE_PORTT: '1' }, /^voice-app: cannot start: ConfigError: unknown setting VOICE_PORTT/],
    [{ VOICE_RTC_PORT_MIN: '40000' }, /VOICE_RTC_PORT_MIN and VOICE_RTC_PORT_MAX go together/],
  ] as const) {
    const dataDir = await tempDir();
    const { code, stderr } = await withTimeout(startProcess({ VOICE_DATA_DIR: dataDir, ...env }).exit, 15_000, 'exit');
    assert.equal(code, 1);
    assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
    assert.match(stderr.trim(), pattern);
  }
});
