/**
 * A data dir from before accounts (migrations 0001–0003 only, a locked channel
 * and a channel of its own) upgrades in place when the server process starts on
 * it: channels and the password are kept, the account, ban and chat tables
 * appear, and the first-run admin account is created once, its password shown
 * once in the log.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  apiClient,
  apiRequest,
  closeRawClients,
  queryDataDir,
  rawControlClient,
  tempDirs,
  type ApiChannel,
  type ApiLogin,
  type ApiUser,
} from './harness.ts';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../server-process.ts';
import { openDatabase } from '../../server/db/database.ts';
import { migrateToLatestOrThrow } from '../../server/db/migrate.ts';
import { hashPassword } from '../../server/auth/password-hash.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = path.join(root, 'server', 'main.ts');
const OLD_MIGRATIONS = ['0001_channels.sql', '0002_seed_channels.sql', '0003_channel_passwords.sql'];
const GAMING = 2;
const CHANNEL_PASSWORD = 'old secret';
const FIRST_RUN = /first run: created the admin account "admin" with password: (\S+)/;

const temps = tempDirs('voice-app-upgrade-');
const tempDir = temps.make;
after(async () => {
  closeRawClients();
  killServerProcesses();
  await temps.removeAll();
});

/** Starts `node server/main.ts` on `dataDir` and waits until it listens. */
function startProcess(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServerProcess({
    command: process.execPath,
    args: [main],
    env: { PATH: process.env['PATH'] ?? '', VOICE_HOST: '127.0.0.1', VOICE_PORT: '0', VOICE_LOG_LEVEL: 'info', VOICE_DATA_DIR: dataDir, ...env },
  });
}

/**
 * Runs `body` against a started server, then stops it with SIGTERM. The exit
 * code is asserted after the stop, not inside a `finally`, so when `body`
 * fails its own error is the one reported.
 */
async function whileRunning(run: ServerProcess, body: () => Promise<void>): Promise<void> {
  let exit: number | null | Error = null;
  try {
    await body();
  } finally {
    exit = await run.stop().catch((error: unknown) => error as Error);
  }
  assert.equal(exit, 0, `exits 0 on SIGTERM:\n${run.output().slice(-2000)}`);
}

test('a pre-accounts data dir upgrades in place: channels and password kept, new tables, first-run admin once', async () => {
  const dataDir = await tempDir();
  const oldMigrations = await tempDir();
  for (const f of OLD_MIGRATIONS) await cp(path.join(root, 'migrations', f), path.join(oldMigrations, f));
  const old = openDatabase(dataDir);
  await migrateToLatestOrThrow(old, oldMigrations);
  const phc = await hashPassword(CHANNEL_PASSWORD);
  old.sqlite.prepare('UPDATE channels SET password_hash = ? WHERE id = ?').run(phc, GAMING);
  const made = old.sqlite.prepare("INSERT INTO channels (parent_id, name, position, bitrate, max_users) VALUES (1, 'Old Room', 5, 48000, 9)").run();
  const oldRoom = Number(made.lastInsertRowid);
  await old.close();

  const first = await startProcess(dataDir);
  let adminPassword = '';
  await whileRunning(first, async () => {
    const applied = /migrations applied \{"applied":(\[[^\]]*\])\}/.exec(first.output());
    assert.ok(applied, `the log names the migrations applied:\n${first.output()}`);
    const names = JSON.parse(applied[1]!) as string[];
    for (const n of ['0004_accounts', '0005_bans', '0006_chat_history']) assert.ok(names.includes(n), `${n} applied: ${names.join(', ')}`);
    for (const n of OLD_MIGRATIONS) assert.ok(!names.includes(n.slice(0, -4)), `${n} not applied again`);

    const shown = FIRST_RUN.exec(first.output());
    assert.ok(shown, `the first-run admin password is in the log:\n${first.output()}`);
    adminPassword = shown[1]!;
    assert.ok(adminPassword.length >= 12, 'a long random password');

    const login = await apiRequest<ApiLogin>(first.url, 'POST', '/api/auth/login', { json: { name: 'admin', password: adminPassword } });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.body.user.role, 'admin');
    const asAdmin = apiClient(first.url, login.body.token);
    const channels = (await asAdmin<{ channels: ApiChannel[] }>('GET', '/api/channels')).body.channels;
    const room = channels.find((c) => c.id === oldRoom);
    assert.deepEqual(
      room && [room.name, room.parentId, room.position, room.bitrate, room.maxUsers, room.requiredRole, room.locked],
      ['Old Room', 1, 5, 48000, 9, 'guest', false],
    );
    const gaming = channels.find((c) => c.id === GAMING);
    assert.deepEqual(gaming && [gaming.name, gaming.locked, gaming.requiredRole], ['Gaming', true, 'guest']);
    assert.deepEqual(channels.map((c) => c.name).sort(), ['AFK', 'Gaming', 'Lobby', 'Music', 'Old Room']);

    // The old password still opens the channel.
    const c = await rawControlClient(first.url);
    assert.equal((await c.hello('upgrader')).type, 'welcome');
    c.send({ type: 'join', channelId: GAMING, password: 'not it' });
    assert.equal((await c.take('join-denied')).reason, 'wrong-password');
    c.send({ type: 'join', channelId: GAMING, password: CHANNEL_PASSWORD });
    assert.equal((await c.take('joined')).channelId, GAMING);
    c.close();

    const tables = queryDataDir<{ name: string }>(dataDir, "SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => r.name);
    for (const n of ['users', 'bans', 'chat_messages']) assert.ok(tables.includes(n), `table ${n}`);
    const admins = queryDataDir<{ name: string; role: string; password_hash: string }>(dataDir, 'SELECT name, role, password_hash FROM users');
    assert.deepEqual(admins.map((u) => [u.name, u.role]), [['admin', 'admin']]);
    assert.match(admins[0]!.password_hash, /^\$argon2id\$/);
    assert.equal(queryDataDir<{ password_hash: string }>(dataDir, 'SELECT password_hash FROM channels WHERE id = ?', GAMING)[0]!.password_hash, phc, 'the hash is untouched');
  });

  // Second start: nothing to migrate, no new admin, no password in the log, even with VOICE_ADMIN_PASSWORD set now.
  const second = await startProcess(dataDir, { VOICE_ADMIN_PASSWORD: 'a different password' });
  await whileRunning(second, async () => {
    assert.ok(!second.output().includes('migrations applied'), 'nothing left to migrate');
    assert.ok(!FIRST_RUN.test(second.output()) && !second.output().includes(adminPassword), 'no password in the log this time');
    const again = await apiRequest<ApiLogin>(second.url, 'POST', '/api/auth/login', { json: { name: 'admin', password: adminPassword } });
    assert.equal(again.status, 200, again.text);
    const other = await apiRequest(second.url, 'POST', '/api/auth/login', { json: { name: 'admin', password: 'a different password' } });
    assert.equal(other.status, 401, 'VOICE_ADMIN_PASSWORD only applies on the first start');
    const users = await apiRequest<{ users: ApiUser[] }>(second.url, 'GET', '/api/users', { token: again.body.token });
    assert.deepEqual(users.body.users.map((u) => [u.name, u.role]), [['admin', 'admin']]);
    const channels = await apiRequest<{ channels: ApiChannel[] }>(second.url, 'GET', '/api/channels', { token: again.body.token });
    assert.equal(channels.body.channels.find((ch) => ch.id === GAMING)?.locked, true);
  });
});

test('a fresh data dir with VOICE_ADMIN_PASSWORD: the admin gets that password and it is not logged', async () => {
  const dataDir = await tempDir();
  const password = 'chosen admin password';
  const run = await startProcess(dataDir, { VOICE_ADMIN_PASSWORD: password });
  await whileRunning(run, async () => {
    assert.ok(!run.output().includes(password), 'the chosen password is not logged');
    const login = await apiRequest<ApiLogin>(run.url, 'POST', '/api/auth/login', { json: { name: 'admin', password } });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.body.user.role, 'admin');
  });
});
