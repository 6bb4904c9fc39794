/**
 * Kicks and bans through the admin API against a real server with real
 * clients: what the removed client and the others are told, the close code,
 * the session and its peer connection gone, bans by address and by account,
 * bans that expire, bans that outlive a restart, and what a moderator may not do.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import {
  TEST_ADMIN_PASSWORD,
  accountEnv,
  apiClient,
  apiLogin,
  apiRequest,
  closeRawClients,
  connectClient,
  makeTempDir,
  rawControlClient,
  sessionByNickname,
  sleep,
  startTestServer,
  startTestServerIn,
  waitFor,
  withTimeout,
  type ApiBan,
  type ApiError,
  type ApiLogin,
  type ApiSession,
  type ApiUser,
  type RawControlClient,
  type TestServer,
} from './harness.ts';
import { CloseCode, PROTOCOL_VERSION, type ServerMessageOf } from '../../shared/control/protocol.ts';

let dataDir = '';
let t: TestServer;
let adminToken = '';
let asAdmin: ReturnType<typeof apiClient>;

before(async () => {
  dataDir = await makeTempDir('voice-app-bans-');
  t = await startTestServerIn(dataDir, accountEnv());
  adminToken = (await apiLogin(t.server.url, 'admin', TEST_ADMIN_PASSWORD)).token;
  asAdmin = apiClient(t.server.url, adminToken);
});
after(async () => {
  closeRawClients();
  await t?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function sessions(): Promise<ApiSession[]> {
  const r = await asAdmin<{ sessions: ApiSession[] }>('GET', '/api/sessions');
  assert.equal(r.status, 200, r.text);
  return r.body.sessions;
}

async function bans(): Promise<ApiBan[]> {
  const r = await asAdmin<{ bans: ApiBan[] }>('GET', '/api/bans');
  assert.equal(r.status, 200, r.text);
  return r.body.bans;
}

async function createUser(name: string, password: string, role: string): Promise<ApiUser> {
  const r = await asAdmin<{ user: ApiUser }>('POST', '/api/users', { json: { name, password, role } });
  assert.equal(r.status, 201, r.text);
  return r.body.user;
}

async function hello(nickname: string, extra: { password?: string } = {}): Promise<{ client: RawControlClient; answer: ServerMessageOf<'welcome'> | ServerMessageOf<'access-denied'> }> {
  const client = await rawControlClient(t.server.url);
  return { client, answer: await client.hello(nickname, extra) };
}

async function expectBanned(nickname: string, extra: { password?: string } = {}): Promise<ServerMessageOf<'access-denied'>> {
  const { client, answer } = await hello(nickname, extra);
  assert.equal(answer.type, 'access-denied', `${nickname}: ${JSON.stringify(answer).slice(0, 200)}`);
  const denied = answer as ServerMessageOf<'access-denied'>;
  assert.equal(denied.reason, 'banned', denied.message);
  assert.equal((await withTimeout(client.closed, 5000, 'close after access-denied')).code, CloseCode.denied);
  return denied;
}

async function expectWelcome(nickname: string, extra: { password?: string } = {}): Promise<ServerMessageOf<'welcome'>> {
  const { client, answer } = await hello(nickname, extra);
  assert.equal(answer.type, 'welcome', `${nickname}: ${JSON.stringify(answer).slice(0, 200)}`);
  client.close();
  return answer as ServerMessageOf<'welcome'>;
}

async function watcher(nickname: string): Promise<RawControlClient> {
  const { client, answer } = await hello(nickname);
  assert.equal(answer.type, 'welcome');
  return client;
}

describe('kick', () => {
  test('the kicked client gets removed (kicked, by admin, with the reason), the others user-left kicked; session and peer are gone', async () => {
    const others = await watcher('kick-watcher');
    const victim = await connectClient(t, 'victim', { waitVoice: true });
    const token = victim.sessionToken;
    await waitFor(() => t.server.sessions.get(token)?.peer?.isOpen === true, 5000, 'the server has the victim\'s peer open');
    const peer = t.server.sessions.get(token)!.peer!;
    const peerClosed = new Promise<void>((resolve) => peer.once('closed', () => resolve()));
    const listed = (await sessions()).find((s) => s.sessionToken === token);
    assert.deepEqual([listed?.nickname, listed?.voice], ['victim', true]);

    const states: string[] = [];
    victim.on('state', (s) => states.push(s));
    const r = await asAdmin<{ kicked: number }>('POST', '/api/kick', { json: { sessionToken: token, reason: 'calm down' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { kicked: token });
    await waitFor(() => victim.denial !== null, 5000, 'the victim is told');
    const removed = victim.denial!;
    assert.equal(removed.type, 'removed');
    assert.deepEqual([removed.reason, removed.type === 'removed' ? removed.by : undefined], ['kicked', 'admin']);
    assert.match(removed.message, /calm down/, 'the message carries the reason');
    const left = await others.take('user-left', (m) => m.sessionToken === token);
    assert.equal(left.reason, 'kicked');

    await waitFor(() => t.server.sessions.get(token) === undefined, 5000, 'the server session is gone');
    assert.ok(!(await sessions()).some((s) => s.sessionToken === token), 'GET /api/sessions no longer lists it');
    assert.equal(t.server.relay.hasMember(token), false, 'the relay has forgotten it');
    await withTimeout(peerClosed, 5000, 'the server\'s peer connection closes');
    assert.equal(peer.isOpen, false, 'the voice lane is torn down on the server');
    await waitFor(() => !victim.voiceOpen, 5000, 'the client\'s voice lane is closed too');
    // No reconnect: one would start within 100 ms (the first resume backoff); watch ten times that.
    await sleep(1000);
    assert.deepEqual(states, ['closed'], 'the kicked client closed and never tried to reconnect');
    assert.equal(sessionByNickname(t, 'victim'), undefined, 'no new session for it');
    others.close();
  });

  test('the lane of a kicked client closes with 4005 right after removed', async () => {
    const { client, answer } = await hello('raw-victim');
    assert.ok(answer.type === 'welcome');
    const r = await asAdmin('POST', '/api/kick', { json: { sessionToken: answer.sessionToken } });
    assert.equal(r.status, 200, r.text);
    const closed = await withTimeout(client.closed, 5000, 'the lane closes');
    assert.equal(closed.code, CloseCode.removed);
    const last = client.messages.at(-1);
    assert.ok(last?.type === 'removed' && last.reason === 'kicked' && last.by === 'admin', `the last message is removed: ${JSON.stringify(last)}`);
  });

  test('kick: 404 for an unknown session, 400 for a reason over 200 characters', async () => {
    const r = await asAdmin<ApiError>('POST', '/api/kick', { json: { sessionToken: 4_000_000_001 } });
    assert.equal(r.status, 404, r.text);
    assert.equal(r.body.error, 'not-found');
    const { client, answer } = await hello('long-reason');
    assert.ok(answer.type === 'welcome');
    const long = await asAdmin<ApiError>('POST', '/api/kick', { json: { sessionToken: answer.sessionToken, reason: 'x'.repeat(201) } });
    assert.equal(long.status, 400, long.text);
    assert.equal(long.body.error, 'bad-request');
    assert.ok(long.body.fields && 'reason' in long.body.fields, JSON.stringify(long.body.fields));
    assert.ok((await sessions()).some((s) => s.sessionToken === answer.sessionToken), 'not kicked');
    client.close();
  });

  test('a moderator cannot kick or ban an admin or another moderator (403), and can kick a guest', async () => {
    await createUser('mod-one', 'mod one password', 'moderator');
    const mod2 = await createUser('mod-two', 'mod two password', 'moderator');
    const asMod = apiClient(t.server.url, (await apiLogin(t.server.url, 'mod-one', 'mod one password')).token);
    const adminSession = await connectClient(t, 'admin', { password: TEST_ADMIN_PASSWORD });
    const modSession = await connectClient(t, 'mod-two', { password: 'mod two password' });
    const guest = await connectClient(t, 'some-guest');
    const me = await asAdmin<{ user: ApiUser }>('GET', '/api/me');

    for (const [what, r] of [
      ['kick the admin', await asMod<ApiError>('POST', '/api/kick', { json: { sessionToken: adminSession.sessionToken } })],
      ['kick a moderator', await asMod<ApiError>('POST', '/api/kick', { json: { sessionToken: modSession.sessionToken } })],
      ['ban the admin account', await asMod<ApiError>('POST', '/api/ban', { json: { userId: me.body.user.id } })],
      ['ban a moderator account', await asMod<ApiError>('POST', '/api/ban', { json: { userId: mod2.id } })],
    ] as const) {
      assert.equal(r.status, 403, `${what}: ${r.text}`);
      assert.equal(r.body.error, 'forbidden', what);
    }
    const cover = await asMod<ApiError>('POST', '/api/ban', { json: { address: '127.0.0.1' } });
    assert.equal(cover.status, 403, `an address ban that covers the admin's and a moderator's sessions: ${cover.text}`);
    assert.equal(cover.body.error, 'forbidden');
    assert.equal(adminSession.state, 'connected');
    assert.equal(modSession.state, 'connected');
    assert.deepEqual(await bans(), [], 'no ban was made');

    const kick = await asMod('POST', '/api/kick', { json: { sessionToken: guest.sessionToken } });
    assert.equal(kick.status, 200, kick.text);
    await waitFor(() => guest.denial !== null, 5000, 'the guest is kicked');
    assert.equal(guest.denial?.type === 'removed' && guest.denial.by, 'mod-one');
    // The admin may kick the moderator.
    assert.equal((await asAdmin('POST', '/api/kick', { json: { sessionToken: modSession.sessionToken } })).status, 200);
    await waitFor(() => modSession.state === 'closed', 5000, 'the moderator is kicked');
    adminSession.close();
  });
});

describe('bans', () => {
  test('by account: the online session is removed, the login refused (control lane and admin login); a guest from the same address still connects', async () => {
    const carl = await createUser('carl', 'carl password', 'member');
    const others = await watcher('account-ban-watcher');
    const online = await connectClient(t, 'carl', { password: 'carl password' });
    const r = await asAdmin<{ ban: ApiBan; kicked: number[] }>('POST', '/api/ban', { json: { userId: carl.id, reason: 'cheating' } });
    assert.equal(r.status, 201, r.text);
    const { ban } = r.body;
    assert.deepEqual(
      [ban.userId, ban.userName, ban.address, ban.reason, ban.createdBy, ban.expiresAt],
      [carl.id, 'carl', null, 'cheating', 'admin', null],
    );
    assert.ok(Math.abs(ban.createdAt - Date.now()) < 60_000, 'createdAt is ms since the epoch');
    assert.deepEqual(r.body.kicked, [online.sessionToken]);
    await waitFor(() => online.denial !== null, 5000, 'carl is told');
    assert.deepEqual([online.denial?.type, online.denial?.reason], ['removed', 'banned']);
    assert.equal((await others.take('user-left', (m) => m.sessionToken === online.sessionToken)).reason, 'banned');
    assert.ok(!others.messages.some((m) => m.type === 'removed'), 'the others were not removed');

    const denied = await expectBanned('carl', { password: 'carl password' });
    assert.match(denied.message, /cheating/, 'the message has the ban\'s reason');
    const login = await apiRequest<ApiError>(t.server.url, 'POST', '/api/auth/login', { json: { name: 'carl', password: 'carl password' } });
    assert.equal(login.status, 403, login.text);
    assert.equal(login.body.error, 'banned');
    await expectWelcome('carls-friend');

    assert.equal((await asAdmin('DELETE', `/api/bans/${ban.id}`)).status, 204);
    await expectWelcome('carl', { password: 'carl password' });
    others.close();
  });

  test('a resume from a banned address is refused (access-denied banned, 4004), even with the right secret', async () => {
    const first = await rawControlClient(t.server.url, { localAddress: '127.0.0.21' });
    const welcome = await first.hello('roamer');
    assert.equal(welcome.type, 'welcome');
    if (welcome.type !== 'welcome') return;
    t.server.control.connectionOf(welcome.sessionToken)!.terminate(); // the lane drops; the session waits in grace
    await first.closed;
    const r = await asAdmin<{ ban: ApiBan; kicked: number[] }>('POST', '/api/ban', { json: { address: '127.0.0.22', reason: 'roaming' } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.kicked, [], 'the session in grace is at another address');
    const back = await rawControlClient(t.server.url, { localAddress: '127.0.0.22' });
    back.send({ type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: welcome.sessionToken, resumeSecret: welcome.resumeSecret });
    const denied = await back.take('access-denied');
    assert.equal(denied.reason, 'banned');
    assert.match(denied.message, /roaming/);
    assert.equal((await back.closed).code, CloseCode.denied);
    // From its own address it resumes, and the session's address follows the lane it came back on.
    const home = await rawControlClient(t.server.url, { localAddress: '127.0.0.23' });
    home.send({ type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: welcome.sessionToken, resumeSecret: welcome.resumeSecret });
    await home.take('resumed');
    assert.equal((await sessions()).find((x) => x.sessionToken === welcome.sessionToken)?.address, '127.0.0.23');
    assert.equal((await asAdmin('DELETE', `/api/bans/${r.body.ban.id}`)).status, 204);
    home.close();
  });

  test('an account ban takes effect on that account\'s admin token at its next request', async () => {
    const mona = await createUser('mona', 'mona password', 'moderator');
    const monaToken = (await apiLogin(t.server.url, 'mona', 'mona password')).token;
    assert.equal((await apiRequest(t.server.url, 'GET', '/api/sessions', { token: monaToken })).status, 200);
    const r = await asAdmin<{ ban: ApiBan }>('POST', '/api/ban', { json: { userId: mona.id } });
    assert.equal(r.status, 201, r.text);
    const refused = await apiRequest(t.server.url, 'GET', '/api/sessions', { token: monaToken });
    assert.equal(refused.status, 403, `a banned account's token: ${refused.text}`);
    assert.equal((refused.body as ApiError).error, 'banned');
    assert.equal((await asAdmin('DELETE', `/api/bans/${r.body.ban.id}`)).status, 204);
    assert.equal((await apiRequest(t.server.url, 'GET', '/api/sessions', { token: monaToken })).status, 200, 'and works again once lifted');
  });

  test('deleting a banned account keeps its ban listed under the old name; the name can be registered again', async () => {
    const dora = await createUser('dora', 'dora password', 'member');
    const r = await asAdmin<{ ban: ApiBan }>('POST', '/api/ban', { json: { userId: dora.id, reason: 'trolling' } });
    assert.equal(r.status, 201, r.text);
    assert.equal((await asAdmin('DELETE', `/api/users/${dora.id}`)).status, 204);
    const listed = (await bans()).find((b) => b.id === r.body.ban.id);
    assert.equal(listed?.userName, 'dora', 'still listed by name');
    assert.equal(listed?.reason, 'trolling');
    const fresh = await rawControlClient(t.server.url);
    const answer = await fresh.hello('dora', { password: 'new dora password', register: true });
    assert.equal(answer.type, 'welcome', `the name is free again: ${JSON.stringify(answer).slice(0, 200)}`);
    fresh.close();
    assert.equal((await asAdmin('DELETE', `/api/bans/${r.body.ban.id}`)).status, 204);
  });

  test('an expiring ban applies until it expires, then no longer (and is no longer listed)', async () => {
    const online = await watcher('soon-banned');
    // 5 s: the refusal after it (a take, a new WebSocket and a hello) must land inside the ban on a loaded machine.
    const r = await asAdmin<{ ban: ApiBan; kicked: number[] }>('POST', '/api/ban', { json: { address: '127.0.0.0/8', durationSeconds: 5, reason: 'cool off' } });
    assert.equal(r.status, 201, r.text);
    const { ban } = r.body;
    assert.ok(ban.expiresAt !== null && Math.abs(ban.expiresAt - ban.createdAt - 5000) <= 1000, `expires 5 s after it was made: ${JSON.stringify(ban)}`);
    assert.ok(r.body.kicked.length >= 1, 'the online session from loopback was removed');
    await online.take('removed');

    const denied = await expectBanned('during-ban');
    assert.ok(denied.retryAfterMs !== undefined && denied.retryAfterMs > 0 && denied.retryAfterMs <= 5000, `retryAfterMs ${denied.retryAfterMs}`);
    assert.ok(Math.abs(Date.now() + denied.retryAfterMs - ban.expiresAt!) <= 1000, `retryAfterMs ${denied.retryAfterMs} points at the expiry`);
    assert.ok((await bans()).some((b) => b.id === ban.id), 'listed while in force');

    await sleep(Math.max(0, ban.expiresAt! - Date.now() + 500)); // expiry is the point here
    await expectWelcome('after-ban');
    assert.ok(!(await bans()).some((b) => b.id === ban.id), 'no longer listed');
  });

  test('by address: the online client is removed, its reconnect and admin logins from there refused; the ban survives a restart; DELETE lifts it', async () => {
    await createUser('ban-mod', 'ban mod password', 'moderator');
    const adminSession = await connectClient(t, 'admin', { password: TEST_ADMIN_PASSWORD });
    const victim = await connectClient(t, 'address-victim', { waitVoice: true });
    const address = (await sessions()).find((s) => s.sessionToken === victim.sessionToken)?.address;
    assert.ok(address, 'the session has an address');
    const r = await asAdmin<{ ban: ApiBan; kicked: number[] }>('POST', '/api/ban', { json: { address, reason: 'spam' } });
    assert.equal(r.status, 201, r.text);
    const { ban } = r.body;
    assert.deepEqual([ban.userId, ban.reason, ban.createdBy, ban.expiresAt], [null, 'spam', 'admin', null]);
    assert.ok(r.body.kicked.includes(victim.sessionToken), `kicked: ${JSON.stringify(r.body.kicked)}`);
    assert.ok(!r.body.kicked.includes(adminSession.sessionToken), 'an address ban never removes the caller\'s own sessions');
    await waitFor(() => victim.denial !== null, 5000, 'the victim is told');
    assert.ok(victim.denial?.type === 'removed' && victim.denial.reason === 'banned' && victim.denial.by === 'admin', JSON.stringify(victim.denial));
    await waitFor(() => t.server.sessions.get(victim.sessionToken) === undefined, 5000, 'its session is gone');
    assert.equal(adminSession.state, 'connected', 'the admin who made the ban is still connected');
    adminSession.close();

    const permanent = await expectBanned('address-victim');
    assert.equal(permanent.retryAfterMs, undefined, 'a permanent ban has no retryAfterMs');
    assert.match(permanent.message, /spam/);
    await expectBanned('admin', { password: TEST_ADMIN_PASSWORD });
    const login = await apiRequest<ApiError>(t.server.url, 'POST', '/api/auth/login', { json: { name: 'ban-mod', password: 'ban mod password' } });
    assert.equal(login.status, 403, `a moderator's admin login from the banned address: ${login.text}`);
    assert.equal(login.body.error, 'banned');
    const listed = (await bans()).find((b) => b.id === ban.id);
    assert.deepEqual(listed, ban);

    // Restart on the same data dir: the ban is still there and still applies.
    await t.close();
    t = await startTestServerIn(dataDir, accountEnv());
    asAdmin = apiClient(t.server.url, adminToken);
    assert.deepEqual((await bans()).find((b) => b.id === ban.id), ban, 'the same ban after the restart');
    await expectBanned('after-restart');

    const lift = await asAdmin('DELETE', `/api/bans/${ban.id}`);
    assert.equal(lift.status, 204, lift.text);
    assert.ok(!(await bans()).some((b) => b.id === ban.id));
    await expectWelcome('after-lift');
    const back = await connectClient(t, 'address-victim', { waitVoice: true });
    assert.equal(back.state, 'connected');
    await apiLogin(t.server.url, 'admin', TEST_ADMIN_PASSWORD);
    back.close();
  });

  test('an address ban refuses admin-API logins from there, except an admin account\'s (so the owner can lift it)', async () => {
    await createUser('range-mod', 'range mod password', 'moderator');
    const r = await asAdmin<{ ban: ApiBan }>('POST', '/api/ban', { json: { address: '127.0.0.0/8', durationSeconds: 600, reason: 'lockout check' } });
    assert.equal(r.status, 201, r.text);
    try {
      const mod = await apiRequest<ApiError>(t.server.url, 'POST', '/api/auth/login', { json: { name: 'range-mod', password: 'range mod password' } });
      assert.equal(mod.status, 403, mod.text);
      assert.equal(mod.body.error, 'banned');
      // README: "An address ban never locks an admin account out of /admin". (docs/admin-api.md does not say so.)
      const admin = await apiRequest<ApiLogin>(t.server.url, 'POST', '/api/auth/login', { json: { name: 'admin', password: TEST_ADMIN_PASSWORD } });
      assert.equal(admin.status, 200, admin.text);
    } finally {
      assert.equal((await asAdmin('DELETE', `/api/bans/${r.body.ban.id}`)).status, 204, 'the token still lifts it');
    }
  });
});

describe('a server on a dual-stack socket', () => {
  let dual: TestServer;
  before(async () => {
    dual = await startTestServer(accountEnv({ VOICE_HOST: '::' }));
  });
  after(async () => {
    closeRawClients();
    await dual?.close();
  });

  test('an IPv4 client seen as ::ffff:127.0.0.1 is matched by an IPv4 ban', async () => {
    const url = `http://127.0.0.1:${dual.server.port}`;
    const token = (await apiLogin(url, 'admin', TEST_ADMIN_PASSWORD)).token;
    const asDualAdmin = apiClient(url, token);
    const c = await rawControlClient(url);
    const w = await c.hello('mapped');
    assert.ok(w.type === 'welcome');
    const listed = (await asDualAdmin<{ sessions: ApiSession[] }>('GET', '/api/sessions')).body.sessions.find((s) => s.sessionToken === w.sessionToken);
    assert.ok(listed, 'listed');
    const r = await asDualAdmin<{ ban: ApiBan; kicked: number[] }>('POST', '/api/ban', { json: { address: '127.0.0.1', reason: 'mapped' } });
    assert.equal(r.status, 201, r.text);
    assert.ok(r.body.kicked.includes(w.sessionToken), `the session at ${listed.address} is covered: ${JSON.stringify(r.body.kicked)}`);
    assert.equal((await c.take('removed')).reason, 'banned');
    const again = await rawControlClient(url);
    const answer = await again.hello('mapped-again');
    assert.ok(answer.type === 'access-denied' && answer.reason === 'banned', JSON.stringify(answer).slice(0, 200));
    assert.equal((await asDualAdmin('DELETE', `/api/bans/${r.body.ban.id}`)).status, 204);
  });
});
