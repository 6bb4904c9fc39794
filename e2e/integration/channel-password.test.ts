/**
 * Channel passwords against a real server: the `locked` flag in the channel
 * list, `password-required` / `wrong-password` / `joined`, joins answered in
 * order across a password check, a session that quits mid-check, the
 * per-address throttle, the hash never on the wire, a data directory from
 * before migration 0003 upgrading in place, and the owner's CLI.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import {
  closeRawClients,
  joinChannel,
  makeTempDir,
  rawControlClient,
  sleep,
  startTestServer,
  waitFor,
  withTimeout,
  type RawControlClient,
  type TestServer,
} from './harness.ts';
import { passwordHasher } from '../../server/auth/password-hash.ts';
import type { ServerMessageOf } from '../../shared/control/protocol.ts';
import { loadConfig } from '../../server/config.ts';
import { startServer } from '../../server/app.ts';
import { openDatabase } from '../../server/db/database.ts';
import { migrateToLatestOrThrow } from '../../server/db/migrate.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const GAMING = 2;
const MUSIC = 3;
const PASSWORD = 'open sesame';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const d = await makeTempDir('voice-app-pw-');
  temps.push(d);
  return d;
}
after(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

/** A welcomed control-lane client (harness.rawControlClient) that also keeps every frame it received as sent. */
interface Client {
  raw: RawControlClient;
  token: number;
  frames: string[];
  join(channelId: number, password?: string): void;
  /** Resolves once the server has answered a ping sent now: everything it sent this client before is in. */
  roundTrip(): Promise<void>;
}

const open: Client[] = [];
let hosts = 0;
let pings = 0;

/**
 * A client that said hello as a guest. Wrong passwords are counted per client
 * address, so each client comes from its own loopback address (127.0.0.2, .3,
 * …) as people on different machines would, unless `from` names one.
 */
async function rawClient(url: string, nickname: string, from = `127.0.0.${2 + (hosts++ % 250)}`): Promise<Client> {
  const raw = await rawControlClient(url, { localAddress: from });
  const frames: string[] = [];
  raw.ws.on('message', (d) => frames.push(String(d)));
  const welcome = await raw.hello(nickname);
  assert.equal(welcome.type, 'welcome', `${nickname}: ${JSON.stringify(welcome)}`);
  const c: Client = {
    raw,
    token: welcome.type === 'welcome' ? welcome.sessionToken : 0,
    frames,
    join(channelId, password) {
      raw.send(password === undefined ? { type: 'join', channelId } : { type: 'join', channelId, password });
    },
    async roundTrip() {
      const id = ++pings;
      raw.send({ type: 'ping', id, clientTime: 0 });
      await raw.take('pong', (m) => m.id === id);
    },
  };
  open.push(c);
  return c;
}

/** The join answers (joined / join-denied) a client got, in order, as compact strings. */
function answers(c: Client): string[] {
  return c.raw.messages.flatMap((m) => {
    if (m.type === 'joined') return [`joined ${m.channelId}`];
    if (m.type === 'join-denied') return [`denied ${m.channelId} ${m.reason}`];
    return [];
  });
}

describe('a running server with Gaming locked', () => {
  let t: TestServer;
  let hash = '';
  before(async () => {
    t = await startTestServer();
    const info = await t.server.channels.update(t.server.db, GAMING, { password: PASSWORD });
    assert.equal(info.locked, true);
    hash = (t.server.db.sqlite.prepare('SELECT password_hash FROM channels WHERE id = ?').get(GAMING) as { password_hash: string }).password_hash;
    assert.match(hash, /^\$argon2id\$v=19\$m=65536,t=3,p=1\$/);
  });
  after(async () => {
    open.length = 0;
    closeRawClients();
    await t.close();
  });

  test('the channel list says which channels are locked', async () => {
    const c = await rawClient(t.server.url, 'lister');
    const w = c.raw.messages.find((m) => m.type === 'welcome');
    assert.ok(w?.type === 'welcome');
    assert.deepEqual(w.channels.map((ch) => [ch.name, ch.locked]).sort(), [['AFK', false], ['Gaming', true], ['Lobby', false], ['Music', false]]);
    // The reference client keeps the flag in its roster.
    const s = await t.client('roster-reader', { waitVoice: false });
    assert.equal(s.roster.channels.get(GAMING)?.locked, true);
    assert.equal(s.roster.channels.get(MUSIC)?.locked, false);
  });

  test('no password → password-required; wrong → wrong-password; right → joined, and the others see the move', async () => {
    const watcher = await rawClient(t.server.url, 'watcher');
    const c = await rawClient(t.server.url, 'guest');
    c.join(GAMING);
    const required = await c.raw.take('join-denied');
    assert.equal(required.reason, 'password-required');
    assert.equal(required.message, 'Gaming is locked: enter its password');
    c.join(GAMING, 'open sesame!');
    const wrong = await c.raw.take('join-denied');
    assert.equal(wrong.reason, 'wrong-password');
    assert.equal(wrong.message, 'wrong password for Gaming');
    assert.equal(t.server.sessions.get(c.token)?.channelId, 1, 'still in the Lobby');
    const moved = watcher.raw.take('user-moved', (m) => m.sessionToken === c.token);
    c.join(GAMING, PASSWORD);
    assert.deepEqual(await c.raw.take('joined'), { type: 'joined', channelId: GAMING });
    assert.equal((await moved).channelId, GAMING);
    assert.equal(t.server.sessions.get(c.token)?.channelId, GAMING);
    // Already there: answered without a password, nobody told.
    c.join(GAMING);
    assert.deepEqual(await c.raw.take('joined'), { type: 'joined', channelId: GAMING });
    assert.deepEqual(answers(c), ['denied 2 password-required', 'denied 2 wrong-password', 'joined 2', 'joined 2']);
    await watcher.roundTrip(); // a move told for the last join would have reached the watcher before this pong
    assert.equal(watcher.raw.messages.filter((m) => m.type === 'user-moved' && m.sessionToken === c.token).length, 1);
  });

  test('the reference client joins with a password and reports the reason when refused', async () => {
    const s = await t.client('ref-client', { waitVoice: false });
    await assert.rejects(joinChannel(s, GAMING), /denied: password-required: Gaming is locked/);
    await assert.rejects(withTimeout(s.joinChannel(GAMING, 'nope'), 5000, 'wrong join'), /denied: wrong-password/);
    await withTimeout(s.joinChannel(GAMING, PASSWORD), 5000, 'join with the password');
    assert.equal(s.channelId, GAMING);
  });

  test('joins sent during a password check are answered in the order sent', async () => {
    const watcher = await rawClient(t.server.url, 'order-watcher');
    const c = await rawClient(t.server.url, 'impatient');
    c.join(GAMING, 'wrong');
    c.join(GAMING, PASSWORD);
    c.join(MUSIC);
    c.join(GAMING, PASSWORD);
    await waitFor(() => answers(c).length === 4, 5000, 'four answers');
    assert.deepEqual(answers(c), ['denied 2 wrong-password', 'joined 2', 'joined 3', 'joined 2']);
    assert.equal(t.server.sessions.get(c.token)?.channelId, GAMING);
    await waitFor(() => watcher.raw.messages.filter((m) => m.type === 'user-moved' && m.sessionToken === c.token).length === 3, 2000, 'moves');
    assert.deepEqual(
      watcher.raw.messages.flatMap((m) => (m.type === 'user-moved' && m.sessionToken === c.token ? [m.channelId] : [])),
      [GAMING, MUSIC, GAMING],
      'the others saw the same moves in the same order',
    );
  });

  test('a session that quits while its password is checked is not moved', async () => {
    const watcher = await rawClient(t.server.url, 'quit-watcher');
    const c = await rawClient(t.server.url, 'quitter');
    const left = watcher.raw.take('user-left', (m) => m.sessionToken === c.token);
    c.join(GAMING, PASSWORD);
    c.join(MUSIC); // queued behind the check; must not run either
    await waitFor(() => passwordHasher.load.active + passwordHasher.load.queued >= 1, 5000, 'the check under way');
    c.raw.close();
    assert.equal((await left).reason, 'quit');
    // Past the check however long it takes on a loaded machine: the hasher is idle again.
    await waitFor(() => passwordHasher.load.active + passwordHasher.load.queued === 0, 30_000, 'the password check finished');
    // The check's continuation ran before the server read the watcher's ping: a move it told would be in before the pong.
    await watcher.roundTrip();
    assert.equal(t.server.sessions.get(c.token), undefined);
    assert.ok(!watcher.raw.messages.some((m) => m.type === 'user-moved' && m.sessionToken === c.token), 'no move after the leave');
    assert.equal(t.server.relay.hasMember(c.token), false, 'and the relay has forgotten it');
    assert.ok(!t.server.relay.channelTokens(GAMING).includes(c.token));
  });

  test('after 5 wrong passwords the session must wait, even with the right one', async () => {
    const c = await rawClient(t.server.url, 'guesser');
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      c.join(GAMING, `guess ${i}`);
      assert.equal((await c.raw.take('join-denied')).reason, 'wrong-password');
    }
    // Five joins spent the chatty burst (5, then 1/s); wait for a token so the server sees the sixth.
    await sleep(Math.max(0, 1100 - (Date.now() - started)));
    c.join(GAMING, PASSWORD);
    const throttled = await c.raw.take('join-denied');
    assert.equal(throttled.reason, 'rate-limited');
    assert.match(throttled.message, /^too many wrong passwords: wait \d+ s before trying again$/);
    assert.equal(t.server.sessions.get(c.token)?.channelId, 1);
    // Other people (other addresses) are not affected.
    const other = await rawClient(t.server.url, 'bystander');
    other.join(GAMING, PASSWORD);
    assert.equal((await other.raw.take('joined')).channelId, GAMING);
  });

  test('the wrong-password allowance is per address: reconnecting does not buy a fresh one', async () => {
    const from = '127.0.1.1';
    const first = await rawClient(t.server.url, 'guesser-a', from);
    for (let i = 0; i < 5; i++) {
      first.join(GAMING, `guess ${i}`);
      assert.equal((await first.raw.take('join-denied')).reason, 'wrong-password');
    }
    first.raw.close();
    const again = await rawClient(t.server.url, 'guesser-b', from);
    again.join(GAMING, PASSWORD);
    assert.equal((await again.raw.take('join-denied')).reason, 'rate-limited', 'a new session from the same address still waits');
  });

  test('sessions opened side by side from one address get 5 password checks between them, not one each', async () => {
    const from = '127.0.2.1';
    const clients = await Promise.all(Array.from({ length: 12 }, (_, i) => rawClient(t.server.url, `side-${i}`, from)));
    for (const c of clients) c.join(GAMING, 'wrong');
    await waitFor(() => clients.every((c) => answers(c).length === 1), 20_000, 'every join answered');
    const reasons = clients.map((c) => answers(c)[0]);
    assert.equal(reasons.filter((r) => r === 'denied 2 wrong-password').length, 5, reasons.join(', '));
    assert.equal(reasons.filter((r) => r === 'denied 2 rate-limited').length, 7, reasons.join(', '));
    for (const c of clients) c.raw.close();
  });

  test('a burst of password checks from many sessions is refused beyond the queue, not queued without bound', async () => {
    const clients = await Promise.all(Array.from({ length: 40 }, (_, i) => rawClient(t.server.url, `burst-${i}`)));
    for (const c of clients) c.join(GAMING, 'wrong');
    await waitFor(() => clients.every((c) => answers(c).length === 1), 20_000, 'every burst join answered');
    const reasons = clients.map((c) => answers(c)[0]);
    const busy = reasons.filter((r) => r === 'denied 2 rate-limited').length;
    assert.ok(busy >= 1, `some were refused as busy: ${reasons.join(', ')}`);
    assert.equal(busy + reasons.filter((r) => r === 'denied 2 wrong-password').length, 40);
    const refused = clients.find((c) => answers(c)[0] === 'denied 2 rate-limited')!;
    assert.match((refused.raw.messages.find((m) => m.type === 'join-denied') as ServerMessageOf<'join-denied'>).message, /busy/);
    for (const c of clients) c.raw.close();
  });

  test('the hash never reaches a client', async () => {
    // Traffic of its own (it must not depend on the tests before it): a list, a wrong and a right password.
    const c = await rawClient(t.server.url, 'hash-watch');
    c.join(GAMING, 'not it');
    await c.raw.take('join-denied');
    c.join(GAMING, PASSWORD);
    await c.raw.take('joined');
    assert.ok(c.frames.length >= 3, `${c.frames.length} frames of its own`);
    const frames = open.flatMap((x) => x.frames);
    const salt = hash.split('$')[4]!;
    for (const f of frames) {
      assert.ok(!f.includes('argon2') && !f.includes(salt) && !f.includes('password_hash') && !f.includes(PASSWORD), f.slice(0, 200));
    }
  });
});

/** The migrations the repo ships, by name without `.sql`. */
async function shippedMigrations(): Promise<string[]> {
  return (await readdir(path.join(root, 'migrations'))).filter((f) => f.endsWith('.sql')).sort().map((f) => f.slice(0, -4));
}

test('a data dir made before 0003 upgrades in place, keeps its data, and a password survives a restart', async () => {
  const dataDir = await tempDir();
  const oldMigrations = await tempDir();
  await cp(path.join(root, 'migrations', '0001_channels.sql'), path.join(oldMigrations, '0001_channels.sql'));
  await cp(path.join(root, 'migrations', '0002_seed_channels.sql'), path.join(oldMigrations, '0002_seed_channels.sql'));
  const old = openDatabase(dataDir);
  await migrateToLatestOrThrow(old, oldMigrations);
  old.sqlite.prepare("UPDATE channels SET name = 'Games', max_users = 7 WHERE id = 2").run();
  await old.close();

  const config = loadConfig({ VOICE_HOST: '127.0.0.1', VOICE_PORT: '0', VOICE_DATA_DIR: dataDir, VOICE_LOG_LEVEL: 'error' });
  const first = await startServer(config);
  try {
    const applied = (first.db.sqlite.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(applied, await shippedMigrations(), 'every shipped migration, in order');
    const games = first.channels.get(GAMING);
    assert.deepEqual([games?.name, games?.maxUsers, games?.locked], ['Games', 7, false], 'existing rows kept, open');
    assert.ok(first.channels.list().every((c) => c.locked === false));
    await first.channels.update(first.db, GAMING, { password: PASSWORD });
  } finally {
    await first.close();
  }

  const second = await startServer(config);
  try {
    assert.equal(second.channels.get(GAMING)?.locked, true);
    const c = await rawClient(second.url, 'after-restart');
    c.join(GAMING, PASSWORD);
    assert.equal((await c.raw.take('joined')).channelId, GAMING);
    c.raw.close();
    // The column refuses anything but an Argon2id PHC string.
    assert.throws(() => second.db.sqlite.prepare("UPDATE channels SET password_hash = 'plain' WHERE id = 3").run(), /CHECK constraint failed/);
  } finally {
    await second.close();
  }
});

describe('npm run channel', () => {
  const cli = path.join(root, 'server', 'cli', 'channel-cli.ts');

  function runCli(dataDir: string, args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { PATH: process.env['PATH'] ?? '', VOICE_DATA_DIR: dataDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(stdin);
    return withTimeout(new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr }))), 15_000, `channel ${args.join(' ')}`);
  }

  test('list, password, unlock on a pre-0003 data dir; the server honours what it wrote', async () => {
    const dataDir = await tempDir();
    const oldMigrations = await tempDir();
    for (const f of ['0001_channels.sql', '0002_seed_channels.sql']) await cp(path.join(root, 'migrations', f), path.join(oldMigrations, f));
    const old = openDatabase(dataDir);
    await migrateToLatestOrThrow(old, oldMigrations);
    await old.close();

    const list = await runCli(dataDir, ['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stderr, `migrations applied: ${(await shippedMigrations()).slice(2).join(', ')}\n`);
    assert.deepEqual(list.stdout.split('\n').filter(Boolean).map((l) => l.trim()), ['1  Lobby', '2    Gaming', '3    Music', '4    AFK']);

    const lock = await runCli(dataDir, ['password', '2', 'hunter 2']);
    assert.equal(lock.code, 0, lock.stderr);
    assert.equal(lock.stdout, 'Gaming (2) is now locked; a running server applies this when it restarts\n');
    assert.equal(lock.stderr, '');
    const fromStdin = await runCli(dataDir, ['password', '3', '-'], 'piped secret\n');
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.match((await runCli(dataDir, ['list'])).stdout, /Gaming {2}\[locked\]\n.*Music {2}\[locked\]\n/);

    const server = await startServer(loadConfig({ VOICE_HOST: '127.0.0.1', VOICE_PORT: '0', VOICE_DATA_DIR: dataDir, VOICE_LOG_LEVEL: 'error' }));
    try {
      const c = await rawClient(server.url, 'cli-check');
      c.join(GAMING, 'hunter 2');
      assert.equal((await c.raw.take('joined')).channelId, GAMING);
      c.join(MUSIC, 'piped secret');
      assert.equal((await c.raw.take('joined')).channelId, MUSIC, 'the trailing newline from stdin is not part of the password');
      c.raw.close();
    } finally {
      await server.close();
    }

    const unlock = await runCli(dataDir, ['unlock', '2']);
    assert.equal(unlock.code, 0, unlock.stderr);
    assert.equal(unlock.stdout, 'Gaming (2) is now open; a running server applies this when it restarts\n');
    const db = new SQLite(path.join(dataDir, 'voice-app.sqlite'), { readonly: true });
    assert.deepEqual(db.prepare('SELECT id FROM channels WHERE password_hash IS NOT NULL').all(), [{ id: 3 }]);
    db.close();
  });

  test('bad ids, bad usage and a missing database fail with one clear line', async () => {
    const dataDir = await tempDir();
    const made = openDatabase(dataDir);
    await migrateToLatestOrThrow(made, path.join(root, 'migrations'));
    await made.close();

    const unknown = await runCli(dataDir, ['password', '99', 'x']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'channel: no channel with id 99 (see: npm run channel -- list)\n');
    const notNumber = await runCli(dataDir, ['unlock', 'gaming']);
    assert.equal(notNumber.code, 1);
    assert.equal(notNumber.stderr, 'channel: channel id must be a whole number ≥ 1, got "gaming"\n');
    const tooLong = await runCli(dataDir, ['password', '2', 'x'.repeat(129)]);
    assert.equal(tooLong.code, 1);
    assert.equal(tooLong.stderr, 'channel: a password is 1–128 characters, got 129\n');
    const usage = await runCli(dataDir, ['lock', '2']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^channel: unknown command "lock"\nusage: npm run channel -- list\n/);

    const nowhere = path.join(await tempDir(), 'typo');
    const missing = await runCli(nowhere, ['password', '2', 'x']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `channel: no database in ${nowhere} (start the server once, or set VOICE_DATA_DIR)\n`);
    assert.equal(existsSync(nowhere), false, 'and created nothing there');
  });
});
