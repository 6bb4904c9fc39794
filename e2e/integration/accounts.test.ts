/**
 * Accounts over the control lane against a real server: register and log in
 * with `hello`, every `access-denied` reason with its close code, the login
 * throttle per address and per account, what is stored for a password, the
 * guest/registration switches, and channels that require a role.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  TEST_ADMIN_PASSWORD,
  accountEnv,
  apiClient,
  apiLogin,
  closeRawClients,
  connectClient,
  joinChannel,
  queryDataDir,
  rawControlClient,
  startTestServer,
  tryConnect,
  withTimeout,
  type ApiChannel,
  type RawControlClient,
  type TestServer,
} from './harness.ts';
import { CloseCode, type ServerMessageOf } from '../../shared/control/protocol.ts';

const GAMING = 2;
const MUSIC = 3;
const AFK = 4;

/** Sends hello and expects access-denied with `reason`, then the close with CloseCode.denied. */
async function expectDenied(
  url: string,
  nickname: string,
  extra: { password?: string; register?: boolean },
  reason: string,
  options: { localAddress?: string } = {},
): Promise<ServerMessageOf<'access-denied'>> {
  const c = await rawControlClient(url, options);
  const answer = await c.hello(nickname, extra);
  assert.equal(answer.type, 'access-denied', `${nickname}: expected access-denied ${reason}, got ${JSON.stringify(answer).slice(0, 200)}`);
  const denied = answer as ServerMessageOf<'access-denied'>;
  assert.equal(denied.reason, reason, `${nickname}: ${denied.message}`);
  assert.ok(denied.message.length > 0, 'a message to show');
  const closed = await withTimeout(c.closed, 5000, `${nickname}: the lane closes after access-denied`);
  assert.equal(closed.code, CloseCode.denied, `${nickname}: close code`);
  assert.ok(!c.messages.some((m) => m.type === 'welcome'), 'no welcome');
  return denied;
}

async function expectWelcome(url: string, nickname: string, extra: { password?: string; register?: boolean } = {}, options: { localAddress?: string } = {}): Promise<{ client: RawControlClient; welcome: ServerMessageOf<'welcome'> }> {
  const c = await rawControlClient(url, options);
  const answer = await c.hello(nickname, extra);
  assert.equal(answer.type, 'welcome', `${nickname}: expected welcome, got ${JSON.stringify(answer).slice(0, 200)}`);
  return { client: c, welcome: answer as ServerMessageOf<'welcome'> };
}

describe('accounts on a server that admits guests and lets users register', () => {
  let t: TestServer;
  let asAdmin: ReturnType<typeof apiClient>;
  before(async () => {
    t = await startTestServer(accountEnv());
    asAdmin = apiClient(t.server.url, (await apiLogin(t.server.url, 'admin', TEST_ADMIN_PASSWORD)).token);
  });
  after(async () => {
    closeRawClients();
    await t?.close();
  });

  test('register with hello, then a second connection logs in with the password; both are registered members', async () => {
    const watcher = await expectWelcome(t.server.url, 'account-watcher');
    const self = watcher.welcome.users.find((u) => u.sessionToken === watcher.welcome.sessionToken);
    assert.equal(self?.role, 'guest', 'a guest session has the role guest');
    assert.notEqual(self?.registered, true);

    const first = await connectClient(t, 'alice', { password: 'alice password', register: true });
    const firstInfo = first.roster.users.get(first.sessionToken);
    assert.deepEqual([firstInfo?.nickname, firstInfo?.role, firstInfo?.registered], ['alice', 'member', true]);
    const joined = await watcher.client.take('user-joined', (m) => m.user.sessionToken === first.sessionToken);
    assert.deepEqual([joined.user.role, joined.user.registered], ['member', true], 'the others see it too');
    first.close();
    await watcher.client.take('user-left', (m) => m.sessionToken === first.sessionToken);

    // Any case of the name logs in to the account, whose name the session then carries.
    const second = await connectClient(t, 'ALICE', { password: 'alice password' });
    const info = second.roster.users.get(second.sessionToken);
    assert.deepEqual([info?.nickname, info?.role, info?.registered], ['alice', 'member', true]);
    assert.notEqual(second.sessionToken, first.sessionToken);
    const users = await asAdmin<{ users: { name: string; role: string }[] }>('GET', '/api/users');
    assert.equal(users.body.users.filter((u) => u.name.toLowerCase() === 'alice').length, 1, 'one account');
    second.close();
    watcher.client.close();
  });

  test('the stored password is an Argon2id PHC string with a salt of at least 16 bytes', async () => {
    await connectClient(t, 'hashed', { password: 'hashed password', register: true }).then((s) => s.close());
    const rows = queryDataDir<{ password_hash: string }>(t.dataDir, 'SELECT password_hash FROM users WHERE name = ?', 'hashed');
    assert.equal(rows.length, 1);
    const phc = rows[0]!.password_hash;
    const m = /^\$argon2id\$v=19\$m=65536,t=3,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
    assert.ok(m, `PHC string: ${phc}`);
    assert.ok(Buffer.from(m[1]!, 'base64').length >= 16, 'salt ≥ 16 bytes');
    assert.ok(Buffer.from(m[2]!, 'base64').length >= 16, 'hash ≥ 16 bytes');
    assert.ok(!phc.includes('hashed password'));
    // Two accounts with the same password get different salts.
    await connectClient(t, 'hashed2', { password: 'hashed password', register: true }).then((s) => s.close());
    const other = queryDataDir<{ password_hash: string }>(t.dataDir, 'SELECT password_hash FROM users WHERE name = ?', 'hashed2')[0]!.password_hash;
    assert.notEqual(other.split('$')[4], m[1]);
  });

  test('a wrong password and an unknown name: the same access-denied bad-credentials, close 4004', async () => {
    await connectClient(t, 'bella', { password: 'bella password', register: true }).then((s) => s.close());
    const wrong = await expectDenied(t.server.url, 'bella', { password: 'not bellas password' }, 'bad-credentials');
    const unknown = await expectDenied(t.server.url, 'nobody-here', { password: 'some password' }, 'bad-credentials');
    assert.equal(wrong.message, unknown.message, 'one message for both, so names cannot be probed');
    // The reference client reports it and stops (no reconnect).
    const { session, error } = await tryConnect(t, 'bella', { password: 'still wrong!' });
    assert.ok(error, 'connect() rejects');
    assert.equal(session.denial?.type, 'access-denied');
    assert.equal(session.denial?.reason, 'bad-credentials');
    assert.equal(session.state, 'closed');
  });

  test('a guest asking for a registered name (any case) gets name-registered', async () => {
    await connectClient(t, 'Nora', { password: 'nora password', register: true }).then((s) => s.close());
    await expectDenied(t.server.url, 'NORA', {}, 'name-registered');
    await expectDenied(t.server.url, 'nora', {}, 'name-registered');
    const { session, error } = await tryConnect(t, 'nOrA');
    assert.ok(error);
    assert.equal(session.denial?.reason, 'name-registered');
  });

  test('registering a name that exists (any case) gets name-taken; a short password gets weak-password', async () => {
    await connectClient(t, 'tess', { password: 'tess password', register: true }).then((s) => s.close());
    await expectDenied(t.server.url, 'TESS', { password: 'another password', register: true }, 'name-taken');
    await expectDenied(t.server.url, 'shorty', { password: '7 chars', register: true }, 'weak-password');
    assert.deepEqual(queryDataDir(t.dataDir, "SELECT id FROM users WHERE name = 'shorty'"), [], 'no account made');
    // Eight characters are enough.
    const ok = await expectWelcome(t.server.url, 'longer', { password: '8 chars!', register: true });
    assert.equal(ok.welcome.users.find((u) => u.sessionToken === ok.welcome.sessionToken)?.registered, true);
    ok.client.close();
  });

  test('the admin account logs in over the control lane with the admin role', async () => {
    const { client, welcome } = await expectWelcome(t.server.url, 'admin', { password: TEST_ADMIN_PASSWORD });
    const self = welcome.users.find((u) => u.sessionToken === welcome.sessionToken);
    assert.deepEqual([self?.nickname, self?.role, self?.registered], ['admin', 'admin', true]);
    client.close();
  });

  test('channel required role: guests are refused (insufficient-role), members join; with a password both checks apply', async () => {
    const gaming = await asAdmin<{ channel: ApiChannel }>('PATCH', `/api/channels/${GAMING}`, { json: { requiredRole: 'member' } });
    assert.equal(gaming.status, 200, gaming.text);
    assert.equal(gaming.body.channel.requiredRole, 'member');
    const music = await asAdmin<{ channel: ApiChannel }>('PATCH', `/api/channels/${MUSIC}`, { json: { requiredRole: 'member', password: 'music pass' } });
    assert.equal(music.status, 200, music.text);
    assert.deepEqual([music.body.channel.requiredRole, music.body.channel.locked], ['member', true]);
    const afk = await asAdmin('PATCH', `/api/channels/${AFK}`, { json: { requiredRole: 'moderator' } });
    assert.equal(afk.status, 200, afk.text);

    const guest = await expectWelcome(t.server.url, 'plain-guest');
    assert.equal(guest.welcome.channels.find((c) => c.id === GAMING)?.requiredRole, 'member', 'the welcome says what a channel requires');
    guest.client.send({ type: 'join', channelId: GAMING });
    const refused = await guest.client.take('join-denied');
    assert.deepEqual([refused.channelId, refused.reason], [GAMING, 'insufficient-role']);
    guest.client.send({ type: 'join', channelId: MUSIC, password: 'music pass' });
    assert.equal((await guest.client.take('join-denied')).reason, 'insufficient-role', 'the right channel password does not make up for the role');

    const rita = await connectClient(t, 'rita', { password: 'rita password', register: true });
    await joinChannel(rita, GAMING);
    assert.equal(rita.channelId, GAMING);
    await assert.rejects(rita.joinChannel(MUSIC, 'wrong pass'), /wrong-password/);
    await rita.joinChannel(MUSIC, 'music pass');
    assert.equal(rita.channelId, MUSIC);
    await assert.rejects(rita.joinChannel(AFK), /insufficient-role/, 'a member is below moderator');

    const adminSession = await connectClient(t, 'admin', { password: TEST_ADMIN_PASSWORD });
    await joinChannel(adminSession, AFK);
    await joinChannel(adminSession, GAMING);
    rita.close();
    adminSession.close();
    guest.client.close();
    for (const id of [GAMING, MUSIC, AFK]) {
      assert.equal((await asAdmin('PATCH', `/api/channels/${id}`, { json: { requiredRole: 'guest', password: null } })).status, 200);
    }
    const back = await expectWelcome(t.server.url, 'guest-again');
    back.client.send({ type: 'join', channelId: GAMING });
    assert.equal((await back.client.take('joined')).channelId, GAMING, 'open to guests again');
    back.client.close();
  });
});

describe('the login throttle on the control lane', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(accountEnv());
  });
  after(async () => {
    closeRawClients();
    await t?.close();
  });

  test('10 wrong passwords: rate-limited with retryAfterMs > 0, even with the right password, from any address for that account', async () => {
    (await expectWelcome(t.server.url, 'bob', { password: 'bob password', register: true })).client.close();
    (await expectWelcome(t.server.url, 'carol', { password: 'carol password', register: true })).client.close();
    for (let i = 0; i < 10; i++) await expectDenied(t.server.url, 'bob', { password: `guess number ${i}` }, 'bad-credentials');
    const limited = await expectDenied(t.server.url, 'bob', { password: 'bob password' }, 'rate-limited');
    assert.ok((limited.retryAfterMs ?? 0) > 0, `retryAfterMs ${limited.retryAfterMs}`);
    assert.ok(limited.retryAfterMs! <= 5 * 60_000, 'at most the 5-minute block');
    // Per account: another address is refused for bob too …
    const elsewhere = await expectDenied(t.server.url, 'bob', { password: 'bob password' }, 'rate-limited', { localAddress: '127.0.0.2' });
    assert.ok((elsewhere.retryAfterMs ?? 0) > 0);
    // … but another account from that address is not blocked.
    (await expectWelcome(t.server.url, 'carol', { password: 'carol password' }, { localAddress: '127.0.0.2' })).client.close();
  });
});

describe('VOICE_ALLOW_GUESTS=false', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(accountEnv({ VOICE_ALLOW_GUESTS: 'false' }));
  });
  after(async () => {
    closeRawClients();
    await t?.close();
  });

  test('a guest is refused with guests-not-allowed; registered users get in', async () => {
    await expectDenied(t.server.url, 'just-a-guest', {}, 'guests-not-allowed');
    const { session, error } = await tryConnect(t, 'another-guest');
    assert.ok(error);
    assert.equal(session.denial?.reason, 'guests-not-allowed');
    const reg = await expectWelcome(t.server.url, 'regina', { password: 'regina password', register: true });
    assert.equal(reg.welcome.users.find((u) => u.sessionToken === reg.welcome.sessionToken)?.role, 'member');
    reg.client.close();
    (await expectWelcome(t.server.url, 'regina', { password: 'regina password' })).client.close();
    (await expectWelcome(t.server.url, 'admin', { password: TEST_ADMIN_PASSWORD })).client.close();
  });
});

describe('VOICE_ALLOW_REGISTRATION=false', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(accountEnv({ VOICE_ALLOW_REGISTRATION: 'false' }));
  });
  after(async () => {
    closeRawClients();
    await t?.close();
  });

  test('register is refused with registration-closed; guests and accounts made by an admin get in', async () => {
    await expectDenied(t.server.url, 'would-be', { password: 'would-be password', register: true }, 'registration-closed');
    assert.deepEqual(queryDataDir(t.dataDir, "SELECT id FROM users WHERE name = 'would-be'"), []);
    (await expectWelcome(t.server.url, 'guest-ok')).client.close();
    const asAdmin = apiClient(t.server.url, (await apiLogin(t.server.url, 'admin', TEST_ADMIN_PASSWORD)).token);
    assert.equal((await asAdmin('POST', '/api/users', { json: { name: 'invited', password: 'invited password' } })).status, 201);
    const s = await connectClient(t, 'invited', { password: 'invited password' });
    assert.equal(s.roster.users.get(s.sessionToken)?.registered, true);
    s.close();
  });
});
