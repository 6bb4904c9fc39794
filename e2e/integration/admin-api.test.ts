/**
 * The admin HTTP API against a real server, from the outside (docs/admin-api.md):
 * who may call what (401 for every kind of bad token, 403 for a role too low),
 * login and its throttle, the error body and its `fields`, body limits, channel
 * and user editing and what connected clients are told about it, and the token
 * key kept in the data dir. Requests go through node:http, tokens are forged
 * with jose: nothing here uses the server's own auth code.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT, UnsecuredJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, type JWTPayload } from 'jose';
import {
  TEST_ADMIN_PASSWORD,
  TEST_TOKEN_SECRET,
  accountEnv,
  apiClient,
  apiLogin,
  apiRequest,
  closeRawClients,
  connectClient,
  joinChannel,
  makeTempDir,
  queryDataDir,
  rawControlClient,
  startTestServer,
  startTestServerIn,
  waitFor,
  type ApiBan,
  type ApiChannel,
  type ApiError,
  type ApiLogin,
  type ApiResponse,
  type ApiSession,
  type ApiUser,
  type TestServer,
} from './harness.ts';
import { loadConfig } from '../../server/config.ts';

const ISSUER = 'voice-app';
const AUDIENCE = 'voice-app/admin';
const KEY = new TextEncoder().encode(TEST_TOKEN_SECRET);
const LOBBY = 1;
const GAMING = 2;

/** The least role of each route in the matrix (docs/admin-api.md, Roles); bodies are valid ones. */
interface Route {
  method: string;
  path: string;
  least: 'moderator' | 'admin';
  body?: unknown;
}
const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/api/sessions', least: 'moderator' },
  { method: 'POST', path: '/api/kick', least: 'moderator', body: { sessionToken: 4_000_000_000 } },
  { method: 'POST', path: '/api/ban', least: 'moderator', body: { address: '192.0.2.1' } },
  { method: 'GET', path: '/api/bans', least: 'moderator' },
  { method: 'DELETE', path: '/api/bans/1', least: 'moderator' },
  { method: 'GET', path: '/api/stats', least: 'moderator' },
  { method: 'GET', path: '/api/channels', least: 'moderator' },
  { method: 'POST', path: '/api/channels', least: 'admin', body: { name: 'Matrix', parentId: LOBBY } },
  { method: 'PATCH', path: '/api/channels/2', least: 'admin', body: { name: 'Gaming' } },
  { method: 'DELETE', path: '/api/channels/3', least: 'admin' },
  { method: 'GET', path: '/api/users', least: 'admin' },
  { method: 'POST', path: '/api/users', least: 'admin', body: { name: 'matrix-user', password: 'matrix password' } },
  { method: 'PATCH', path: '/api/users/1', least: 'admin', body: { role: 'admin' } },
  { method: 'DELETE', path: '/api/users/1', least: 'admin' },
];

function header(r: ApiResponse, name: string): string {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

function assertError(r: ApiResponse, status: number, code: string, what: string): ApiError {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
  const body = r.body as ApiError;
  assert.equal(typeof body, 'object', `${what}: a JSON error body, got ${r.text}`);
  assert.equal(body.error, code, `${what}: ${r.text}`);
  assert.equal(typeof body.message, 'string', `${what}: the error has a message`);
  return body;
}

function assertUnauthorized(r: ApiResponse, what: string): void {
  assertError(r, 401, 'unauthorized', what);
  assert.match(header(r, 'WWW-Authenticate'), /^Bearer\b/, `${what}: WWW-Authenticate: Bearer`);
}

const CHANNEL_FIELDS = ['id', 'parentId', 'name', 'position', 'maxUsers', 'bitrate', 'frameSamples', 'requiredRole', 'locked'] as const;
/** The documented fields of a channel (a server may add more). */
function documented(c: ApiChannel): Pick<ApiChannel, (typeof CHANNEL_FIELDS)[number]> {
  return Object.fromEntries(CHANNEL_FIELDS.map((k) => [k, c[k]])) as Pick<ApiChannel, (typeof CHANNEL_FIELDS)[number]>;
}

function claims(sub: number | string, extra: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, sub: String(sub), iat: now, exp: now + 600, ...extra };
}

/** An HS256 token; `omit` drops claims after the defaults are filled in. */
async function forge(payload: JWTPayload, options: { alg?: string; key?: Uint8Array | CryptoKey; omit?: string[] } = {}): Promise<string> {
  const p: JWTPayload = { ...payload };
  for (const k of options.omit ?? []) delete p[k];
  return new SignJWT(p).setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' }).sign(options.key ?? KEY);
}

describe('the admin API on a running server', () => {
  let t: TestServer;
  let api: ReturnType<typeof apiClient>;
  let admin: ApiLogin;
  let asAdmin: ReturnType<typeof apiClient>;
  let member: ApiLogin;
  let moderator: ApiLogin;

  async function createUser(name: string, password: string, role?: string): Promise<ApiUser> {
    const r = await asAdmin<{ user: ApiUser }>('POST', '/api/users', { json: role === undefined ? { name, password } : { name, password, role } });
    assert.equal(r.status, 201, `create ${name}: ${r.text}`);
    return r.body.user;
  }

  before(async () => {
    t = await startTestServer(accountEnv());
    api = apiClient(t.server.url);
    admin = await apiLogin(t.server.url, 'admin', TEST_ADMIN_PASSWORD);
    asAdmin = apiClient(t.server.url, admin.token);
    await createUser('mia', 'mia password', 'member');
    await createUser('moe', 'moe password', 'moderator');
    member = await apiLogin(t.server.url, 'mia', 'mia password');
    moderator = await apiLogin(t.server.url, 'moe', 'moe password');
  });
  after(async () => {
    closeRawClients();
    await t?.close();
  });

  test('login: the right password gives an HS256 token with the documented claims, and it works', async () => {
    const r = await api<ApiLogin>('POST', '/api/auth/login', { json: { name: 'admin', password: TEST_ADMIN_PASSWORD } });
    assert.equal(r.status, 200, r.text);
    const { token, expiresAt, user } = r.body;
    assert.deepEqual({ name: user.name, role: user.role }, { name: 'admin', role: 'admin' });
    assert.equal(typeof user.id, 'number');
    assert.equal(decodeProtectedHeader(token).alg, 'HS256');
    const { payload } = await jwtVerify(token, KEY, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
    assert.equal(payload.sub, String(user.id));
    assert.equal(typeof payload.iat, 'number');
    assert.equal(payload.exp! - payload.iat!, 3600, 'VOICE_TOKEN_TTL_SECONDS defaults to 3600');
    assert.ok(Math.abs(expiresAt - payload.exp! * 1000) <= 1000, `expiresAt (${expiresAt}) is exp in ms (${payload.exp})`);
    assert.ok(Math.abs(expiresAt - (Date.now() + 3_600_000)) < 60_000, 'expiresAt is about an hour from now');
    const me = await api<{ user: ApiUser }>('GET', '/api/me', { token });
    assert.equal(me.status, 200, me.text);
    assert.deepEqual({ id: me.body.user.id, name: me.body.user.name, role: me.body.user.role }, { id: user.id, name: 'admin', role: 'admin' });
  });

  test('a token forged with VOICE_TOKEN_SECRET and every documented claim is accepted (the control for the refusals below)', async () => {
    const r = await api<{ user: ApiUser }>('GET', '/api/me', { token: await forge(claims(admin.user.id)) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.user.name, 'admin');
  });

  test('login: a wrong password and an unknown name get the same 401 body', async () => {
    const wrong = await api('POST', '/api/auth/login', { json: { name: 'admin', password: 'not the password' } });
    const unknown = await api('POST', '/api/auth/login', { json: { name: 'nobody-at-all', password: 'not the password' } });
    assertError(wrong, 401, 'bad-credentials', 'wrong password');
    assertError(unknown, 401, 'bad-credentials', 'unknown name');
    assert.deepEqual(wrong.body, unknown.body, 'one answer for both');
    assert.ok(!('token' in (wrong.body as object)));
  });

  test('every route refuses a missing or bad token with 401 and WWW-Authenticate: Bearer', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ghost = await createUser('ghost', 'ghost password', 'admin');
    const ghostToken = (await apiLogin(t.server.url, 'ghost', 'ghost password')).token;
    assert.equal((await asAdmin('DELETE', `/api/users/${ghost.id}`)).status, 204);
    const rsa = await generateKeyPair('RS256');
    const good = await forge(claims(admin.user.id));
    const [h, , s] = good.split('.');
    const otherSub = Buffer.from(JSON.stringify(claims(moderator.user.id))).toString('base64url');

    const cases: Array<[string, Record<string, string>]> = [
      ['no Authorization header', {}],
      ['Basic instead of Bearer', { Authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}` }],
      ['Bearer and nothing', { Authorization: 'Bearer' }],
      ['Bearer garbage', { Authorization: 'Bearer not-a-token' }],
      ['three parts of junk', { Authorization: 'Bearer abc.def.ghi' }],
      ['the payload swapped after signing', { Authorization: `Bearer ${h}.${otherSub}.${s}` }],
      ['expired', { Authorization: `Bearer ${await forge(claims(admin.user.id, { iat: now - 3700, exp: now - 100 }))}` }],
      ['signed correctly but without exp', { Authorization: `Bearer ${await forge(claims(admin.user.id), { omit: ['exp'] })}` }],
      ['signed correctly but without iat', { Authorization: `Bearer ${await forge(claims(admin.user.id), { omit: ['iat'] })}` }],
      ['signed correctly but without sub', { Authorization: `Bearer ${await forge(claims(admin.user.id), { omit: ['sub'] })}` }],
      ['alg none', { Authorization: `Bearer ${new UnsecuredJWT(claims(admin.user.id)).encode()}` }],
      ['wrong aud', { Authorization: `Bearer ${await forge(claims(admin.user.id, { aud: 'voice-app/other' }))}` }],
      ['wrong iss', { Authorization: `Bearer ${await forge(claims(admin.user.id, { iss: 'not-voice-app' }))}` }],
      ['signed with another key', { Authorization: `Bearer ${await forge(claims(admin.user.id), { key: randomBytes(32) })}` }],
      ['HS512 with the right key', { Authorization: `Bearer ${await forge(claims(admin.user.id), { alg: 'HS512' })}` }],
      ['RS256', { Authorization: `Bearer ${await forge(claims(admin.user.id), { alg: 'RS256', key: rsa.privateKey })}` }],
      ['an account id that never existed', { Authorization: `Bearer ${await forge(claims(999_999))}` }],
      ['a deleted account', { Authorization: `Bearer ${ghostToken}` }],
    ];
    for (const route of [...ROUTES, { method: 'GET', path: '/api/me', least: 'moderator' as const }]) {
      for (const [what, headers] of cases) {
        const r = await api(route.method, route.path, { headers, ...(route.body === undefined ? {} : { json: route.body }) });
        assertUnauthorized(r, `${route.method} ${route.path} with ${what}`);
      }
    }
    // The two open routes need no token.
    assert.equal((await api('GET', '/api/health')).status, 200, 'GET /api/health is open');
    // Nothing above changed anything.
    const users = await asAdmin<{ users: ApiUser[] }>('GET', '/api/users');
    assert.ok(!users.body.users.some((u) => u.name === 'matrix-user' || u.name === 'ghost'));
    const channels = await asAdmin<{ channels: ApiChannel[] }>('GET', '/api/channels');
    assert.ok(channels.body.channels.some((c) => c.id === 3) && !channels.body.channels.some((c) => c.name === 'Matrix'));
  });

  test('a member token: 403 forbidden on every moderator and admin route, and GET /api/me works', async () => {
    for (const route of ROUTES) {
      const r = await api(route.method, route.path, { token: member.token, ...(route.body === undefined ? {} : { json: route.body }) });
      assertError(r, 403, 'forbidden', `member: ${route.method} ${route.path}`);
    }
    const me = await api<{ user: ApiUser }>('GET', '/api/me', { token: member.token });
    assert.equal(me.status, 200, me.text);
    assert.deepEqual([me.body.user.name, me.body.user.role], ['mia', 'member']);
    // An account may hold the role guest: it may log in and read /api/me, nothing more.
    await createUser('muzzled', 'muzzled password', 'guest');
    const muzzled = (await apiLogin(t.server.url, 'muzzled', 'muzzled password')).token;
    assert.equal((await api<{ user: ApiUser }>('GET', '/api/me', { token: muzzled })).body.user.role, 'guest');
    assertError(await api('GET', '/api/sessions', { token: muzzled }), 403, 'forbidden', 'a guest account on a moderator route');
  });

  test('a moderator token: 403 on the admin routes', async () => {
    for (const route of ROUTES.filter((r) => r.least === 'admin')) {
      const r = await api(route.method, route.path, { token: moderator.token, ...(route.body === undefined ? {} : { json: route.body }) });
      assertError(r, 403, 'forbidden', `moderator: ${route.method} ${route.path}`);
    }
  });

  test('a moderator token: the moderator routes work (sessions, kick, ban, bans, lift, stats, channels)', async () => {
    const asMod = apiClient(t.server.url, moderator.token);
    const guest = await rawControlClient(t.server.url);
    const welcome = await guest.hello('kick-me');
    assert.equal(welcome.type, 'welcome');
    const token = welcome.type === 'welcome' ? welcome.sessionToken : 0;

    const sessions = await asMod<{ sessions: ApiSession[] }>('GET', '/api/sessions');
    assert.equal(sessions.status, 200, sessions.text);
    assert.ok(sessions.body.sessions.some((s) => s.sessionToken === token));

    const kick = await asMod<{ kicked: number }>('POST', '/api/kick', { json: { sessionToken: token } });
    assert.equal(kick.status, 200, kick.text);
    assert.deepEqual(kick.body, { kicked: token });
    assertError(await asMod('POST', '/api/kick', { json: { sessionToken: token } }), 404, 'not-found', 'kicking a session that is gone');

    const ban = await asMod<{ ban: ApiBan; kicked: number[] }>('POST', '/api/ban', { json: { address: '192.0.2.55', reason: 'moderated' } });
    assert.equal(ban.status, 201, ban.text);
    assert.equal(ban.body.ban.createdBy, 'moe');
    assert.deepEqual(ban.body.kicked, []);
    const bans = await asMod<{ bans: ApiBan[] }>('GET', '/api/bans');
    assert.equal(bans.status, 200, bans.text);
    assert.ok(bans.body.bans.some((b) => b.id === ban.body.ban.id));
    const lift = await asMod('DELETE', `/api/bans/${ban.body.ban.id}`);
    assert.equal(lift.status, 204, lift.text);
    assertError(await asMod('DELETE', `/api/bans/${ban.body.ban.id}`), 404, 'not-found', 'lifting it again');

    const stats = await asMod<Record<string, unknown>>('GET', '/api/stats');
    assert.equal(stats.status, 200, stats.text);
    for (const k of ['uptimeSeconds', 'sessions', 'controlConnections']) assert.equal(typeof stats.body[k], 'number', `stats.${k}`);
    for (const k of ['relay', 'control', 'process']) assert.equal(typeof stats.body[k], 'object', `stats.${k}`);

    const channels = await asMod<{ channels: ApiChannel[] }>('GET', '/api/channels');
    assert.equal(channels.status, 200, channels.text);
    const gaming = channels.body.channels.find((c) => c.id === GAMING);
    assert.deepEqual(gaming && documented(gaming), {
      id: GAMING, parentId: LOBBY, name: 'Gaming', position: 0, maxUsers: 0, bitrate: 24000, frameSamples: 960, requiredRole: 'guest', locked: false,
    });
  });

  test('an admin token: the read routes answer 200', async () => {
    for (const p of ['/api/me', '/api/sessions', '/api/bans', '/api/stats', '/api/channels', '/api/users']) {
      const r = await asAdmin('GET', p);
      assert.equal(r.status, 200, `${p}: ${r.text}`);
    }
    assertError(await asAdmin('GET', '/api/no-such-route'), 404, 'not-found', 'an unknown route');
  });

  test('GET /api/sessions describes guests and logged-in users as documented', async () => {
    const guest = await rawControlClient(t.server.url);
    const gw = await guest.hello('listed-guest');
    assert.equal(gw.type, 'welcome');
    const mia = await connectClient(t, 'mia', { password: 'mia password', waitVoice: true });
    const r = await asAdmin<{ sessions: ApiSession[] }>('GET', '/api/sessions');
    assert.equal(r.status, 200, r.text);
    const g = r.body.sessions.find((s) => s.sessionToken === (gw.type === 'welcome' ? gw.sessionToken : 0));
    const m = r.body.sessions.find((s) => s.sessionToken === mia.sessionToken);
    assert.ok(g && m, r.text);
    assert.deepEqual([g.nickname, g.userId, g.role, g.channelId, g.selfMute, g.selfDeaf, g.voice], ['listed-guest', null, 'guest', LOBBY, false, false, false]);
    assert.match(g.address, /^(::ffff:)?127\.0\.0\.1$/);
    assert.ok(Math.abs(g.connectedAt - Date.now()) < 60_000, 'connectedAt is ms since the epoch');
    assert.deepEqual([m.nickname, m.userId, m.role, m.voice], ['mia', member.user.id, 'member', true]);
    mia.close();
    guest.close();
  });

  test('bad input: 400 with fields, 404, 413 over 16 KiB, 415 for a body that is not JSON', async () => {
    const both = assertError(await asAdmin('POST', '/api/channels', { json: { name: '', parentId: 'x' } }), 400, 'bad-request', 'empty name, parent "x"');
    assert.ok(both.fields && 'name' in both.fields && 'parentId' in both.fields, `fields names both: ${JSON.stringify(both.fields)}`);
    const ban = assertError(await asAdmin('POST', '/api/ban', { json: {} }), 400, 'bad-request', 'a ban of nobody');
    assert.ok(ban.fields && Object.keys(ban.fields).length > 0, `fields says what is missing: ${JSON.stringify(ban.fields)}`);
    const badAddress = assertError(await asAdmin('POST', '/api/ban', { json: { address: 'not-an-address' } }), 400, 'bad-request', 'a bad address');
    assert.ok(badAddress.fields && 'address' in badAddress.fields, JSON.stringify(badAddress.fields));
    const role = assertError(await asAdmin('PATCH', `/api/users/${member.user.id}`, { json: { role: 'root' } }), 400, 'bad-request', 'role root');
    assert.ok(role.fields && 'role' in role.fields, JSON.stringify(role.fields));
    const weak = assertError(await asAdmin('POST', '/api/users', { json: { name: 'weakling', password: 'short' } }), 400, 'bad-request', 'a short password');
    assert.ok(weak.fields && 'password' in weak.fields, JSON.stringify(weak.fields));
    const long = assertError(await asAdmin('POST', '/api/channels', { json: { name: 'n'.repeat(65), parentId: LOBBY, maxUsers: 1001 } }), 400, 'bad-request', 'a 65-character name, 1001 users');
    assert.ok(long.fields && 'name' in long.fields && 'maxUsers' in long.fields, JSON.stringify(long.fields));
    const bitrate = assertError(await asAdmin('PATCH', `/api/channels/${GAMING}`, { json: { bitrate: 5999 } }), 400, 'bad-request', 'bitrate 5999');
    assert.ok(bitrate.fields && 'bitrate' in bitrate.fields, JSON.stringify(bitrate.fields));
    assertError(await asAdmin('POST', '/api/channels', { raw: '{"name":', contentType: 'application/json' }), 400, 'bad-request', 'broken JSON');
    assertError(await asAdmin('PATCH', '/api/channels/9999', { json: { name: 'x' } }), 404, 'not-found', 'no such channel');
    assertError(await asAdmin('PATCH', '/api/users/9999', { json: { role: 'member' } }), 404, 'not-found', 'no such user');
    assertError(await asAdmin('DELETE', '/api/bans/9999'), 404, 'not-found', 'no such ban');

    const big = { name: 'Big', parentId: LOBBY, padding: 'x'.repeat(17 * 1024) };
    assertError(await asAdmin('POST', '/api/channels', { json: big }), 413, 'too-large', 'a 17 KiB body');
    assertError(
      await asAdmin('POST', '/api/channels', { raw: JSON.stringify({ name: 'Plain', parentId: LOBBY }), contentType: 'text/plain' }),
      415,
      'unsupported-media-type',
      'text/plain',
    );
    const channels = await asAdmin<{ channels: ApiChannel[] }>('GET', '/api/channels');
    assert.ok(!channels.body.channels.some((c) => ['Big', 'Plain', ''].includes(c.name)), 'none of them made a channel');
  });

  test('channels: create (defaults and all fields) shows up in GET and for connected clients', async () => {
    const watcher = await rawControlClient(t.server.url);
    assert.equal((await watcher.hello('channel-watcher')).type, 'welcome');

    const raid = await asAdmin<{ channel: ApiChannel }>('POST', '/api/channels', {
      json: { name: 'Raid', parentId: GAMING, position: 1, maxUsers: 10, bitrate: 32000, requiredRole: 'member', password: 'hunter22' },
    });
    assert.equal(raid.status, 201, raid.text);
    const c = raid.body.channel;
    assert.equal(typeof c.id, 'number');
    assert.deepEqual({ ...documented(c), id: 0 }, { id: 0, parentId: GAMING, name: 'Raid', position: 1, maxUsers: 10, bitrate: 32000, frameSamples: 960, requiredRole: 'member', locked: true });
    assert.ok(!raid.text.includes('hunter22') && !raid.text.includes('argon2'), 'no password or hash in the answer');
    const told = await watcher.take('channel-updated', (m) => m.channel.id === c.id);
    assert.deepEqual(
      [told.channel.name, told.channel.parentId, told.channel.position, told.channel.maxUsers, told.channel.config, told.channel.locked, told.channel.requiredRole],
      ['Raid', GAMING, 1, 10, { bitrate: 32000, frameSamples: 960 }, true, 'member'],
    );

    const side = await asAdmin<{ channel: ApiChannel }>('POST', '/api/channels', { json: { name: 'Side', parentId: LOBBY } });
    assert.equal(side.status, 201, side.text);
    assert.deepEqual({ ...documented(side.body.channel), id: 0 }, { id: 0, parentId: LOBBY, name: 'Side', position: 0, maxUsers: 0, bitrate: 16000, frameSamples: 960, requiredRole: 'guest', locked: false });
    await watcher.take('channel-updated', (m) => m.channel.id === side.body.channel.id);

    const list = await asAdmin<{ channels: ApiChannel[] }>('GET', '/api/channels');
    assert.deepEqual(list.body.channels.find((x) => x.id === c.id), c);
    assert.deepEqual(list.body.channels.find((x) => x.id === side.body.channel.id), side.body.channel);
    // A client that connects now sees both in its welcome.
    const late = await rawControlClient(t.server.url);
    const w = await late.hello('late-comer');
    assert.ok(w.type === 'welcome');
    assert.deepEqual(w.channels.find((x) => x.id === c.id)?.requiredRole, 'member');
    assert.ok(w.channels.some((x) => x.id === side.body.channel.id));
    watcher.close();
    late.close();
  });

  test('channels: PATCH reaches connected clients at once (bitrate, name, password removed)', async () => {
    const inside = await connectClient(t, 'bitrate-listener', { waitVoice: true });
    await joinChannel(inside, GAMING);
    const made = await asAdmin<{ channel: ApiChannel }>('POST', '/api/channels', { json: { name: 'Locked', parentId: LOBBY, password: 'lock lock' } });
    assert.equal(made.status, 201, made.text);

    const r = await asAdmin<{ channel: ApiChannel }>('PATCH', `/api/channels/${GAMING}`, { json: { bitrate: 40000, name: 'Games' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.channel.bitrate, r.body.channel.name], [40000, 'Games']);
    await waitFor(() => inside.channelConfig?.bitrate === 40000, 5000, 'the client in the channel has the new bitrate');
    assert.equal(inside.roster.channels.get(GAMING)?.name, 'Games');

    const open = await asAdmin<{ channel: ApiChannel }>('PATCH', `/api/channels/${made.body.channel.id}`, { json: { password: null } });
    assert.equal(open.status, 200, open.text);
    assert.equal(open.body.channel.locked, false);
    await waitFor(() => inside.roster.channels.get(made.body.channel.id)?.locked === false, 5000, 'the lock is gone for clients');
    await joinChannel(inside, made.body.channel.id);

    const back = await asAdmin('PATCH', `/api/channels/${GAMING}`, { json: { bitrate: 24000, name: 'Gaming' } });
    assert.equal(back.status, 200, back.text);
    inside.close();
  });

  test('channels: the user limit is enforced on join and editable live', async () => {
    const made = await asAdmin<{ channel: ApiChannel }>('POST', '/api/channels', { json: { name: 'Duo', parentId: LOBBY, maxUsers: 1 } });
    assert.equal(made.status, 201, made.text);
    const id = made.body.channel.id;
    const first = await rawControlClient(t.server.url);
    await first.hello('first-in');
    first.send({ type: 'join', channelId: id });
    assert.equal((await first.take('joined')).channelId, id);
    const second = await rawControlClient(t.server.url);
    await second.hello('second-in');
    second.send({ type: 'join', channelId: id });
    const full = await second.take('join-denied');
    assert.deepEqual([full.channelId, full.reason], [id, 'channel-full']);
    const raised = await asAdmin<{ channel: ApiChannel }>('PATCH', `/api/channels/${id}`, { json: { maxUsers: 2 } });
    assert.equal(raised.status, 200, raised.text);
    await second.take('channel-updated', (m) => m.channel.id === id && m.channel.maxUsers === 2);
    second.send({ type: 'join', channelId: id });
    assert.equal((await second.take('joined')).channelId, id, 'room for two now');
    first.close();
    second.close();
  });

  test('channels: DELETE moves the people in it (and its subchannels) to the root first, then removes them', async () => {
    const watcher = await rawControlClient(t.server.url);
    const ww = await watcher.hello('delete-watcher');
    assert.ok(ww.type === 'welcome');
    const parent = (await asAdmin<{ channel: ApiChannel }>('POST', '/api/channels', { json: { name: 'Doomed', parentId: LOBBY } })).body.channel;
    const child = (await asAdmin<{ channel: ApiChannel }>('POST', '/api/channels', { json: { name: 'Doomed child', parentId: parent.id } })).body.channel;
    const mover = await rawControlClient(t.server.url);
    const mw = await mover.hello('mover');
    assert.ok(mw.type === 'welcome');
    mover.send({ type: 'join', channelId: child.id });
    await mover.take('joined', (m) => m.channelId === child.id);

    const r = await asAdmin('DELETE', `/api/channels/${parent.id}`);
    assert.equal(r.status, 204, r.text);
    await mover.take('joined', (m) => m.channelId === LOBBY);
    await mover.take('channel-removed', (m) => m.channelId === parent.id);
    await mover.take('channel-removed', (m) => m.channelId === child.id);
    const order = mover.messages.map((m) => (m.type === 'joined' ? `joined ${m.channelId}` : m.type === 'channel-removed' ? `removed ${m.channelId}` : '')).filter(Boolean);
    assert.deepEqual(order.slice(-3), [`joined ${LOBBY}`, `removed ${child.id}`, `removed ${parent.id}`], 'moved first, then the subchannel, then the channel (deepest first)');
    await watcher.take('user-moved', (m) => m.sessionToken === mw.sessionToken && m.channelId === LOBBY);
    await watcher.take('channel-removed', (m) => m.channelId === parent.id);
    await watcher.take('channel-removed', (m) => m.channelId === child.id);

    const list = await asAdmin<{ channels: ApiChannel[] }>('GET', '/api/channels');
    assert.ok(!list.body.channels.some((c) => c.id === parent.id || c.id === child.id));
    assertError(await asAdmin('DELETE', `/api/channels/${parent.id}`), 404, 'not-found', 'deleting it again');
    watcher.close();
    mover.close();
  });

  test('channels: a parent loop and deleting or re-parenting the root are 409', async () => {
    const a = (await asAdmin<{ channel: ApiChannel }>('POST', '/api/channels', { json: { name: 'Loop A', parentId: LOBBY } })).body.channel;
    const b = (await asAdmin<{ channel: ApiChannel }>('POST', '/api/channels', { json: { name: 'Loop B', parentId: a.id } })).body.channel;
    assertError(await asAdmin('PATCH', `/api/channels/${a.id}`, { json: { parentId: b.id } }), 409, 'conflict', 'A under its own child');
    assertError(await asAdmin('PATCH', `/api/channels/${a.id}`, { json: { parentId: a.id } }), 409, 'conflict', 'A under itself');
    assertError(await asAdmin('PATCH', `/api/channels/${LOBBY}`, { json: { parentId: GAMING } }), 409, 'conflict', 'the root under a child');
    assertError(await asAdmin('DELETE', `/api/channels/${LOBBY}`), 409, 'conflict', 'deleting the root');
    const list = await asAdmin<{ channels: ApiChannel[] }>('GET', '/api/channels');
    assert.equal(list.body.channels.find((c) => c.id === a.id)?.parentId, LOBBY, 'A unchanged');
    assert.equal(list.body.channels.find((c) => c.id === LOBBY)?.parentId, null, 'the root unchanged');
    // A legal move still works.
    const moved = await asAdmin<{ channel: ApiChannel }>('PATCH', `/api/channels/${b.id}`, { json: { parentId: LOBBY } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.channel.parentId, LOBBY);
  });

  test('users: create, list, names unique in any case; a role change reaches the online session; delete removes it', async () => {
    const bob = await createUser('bob', 'correct horse', 'moderator');
    assert.deepEqual([bob.name, bob.role], ['bob', 'moderator']);
    const plain = await createUser('carla', 'carla password');
    assert.equal(plain.role, 'member', 'role defaults to member');
    assertError(await asAdmin('POST', '/api/users', { json: { name: 'BOB', password: 'another password' } }), 409, 'conflict', 'BOB after bob');

    const list = await asAdmin<{ users: ApiUser[] }>('GET', '/api/users');
    assert.equal(list.status, 200, list.text);
    const listed = list.body.users.find((u) => u.id === bob.id);
    assert.deepEqual([listed?.name, listed?.role, typeof listed?.createdAt], ['bob', 'moderator', 'number']);
    assert.ok(!/password|argon2/i.test(list.text), 'no password or hash in the list');

    const watcher = await rawControlClient(t.server.url);
    assert.equal((await watcher.hello('role-watcher')).type, 'welcome');
    const online = await connectClient(t, 'bob', { password: 'correct horse' });
    assert.equal(online.roster.users.get(online.sessionToken)?.role, 'moderator');
    const bobToken = (await apiLogin(t.server.url, 'bob', 'correct horse')).token;
    assert.equal((await api('GET', '/api/sessions', { token: bobToken })).status, 200, 'bob may list sessions as a moderator');

    const demote = await asAdmin<{ user: ApiUser }>('PATCH', `/api/users/${bob.id}`, { json: { role: 'member' } });
    assert.equal(demote.status, 200, demote.text);
    assert.equal(demote.body.user.role, 'member');
    const seen = await watcher.take('user-role', (m) => m.sessionToken === online.sessionToken);
    assert.equal(seen.role, 'member');
    await waitFor(() => online.roster.users.get(online.sessionToken)?.role === 'member', 5000, 'bob\'s own session hears user-role');
    const sessions = await asAdmin<{ sessions: ApiSession[] }>('GET', '/api/sessions');
    assert.equal(sessions.body.sessions.find((s) => s.sessionToken === online.sessionToken)?.role, 'member');
    assertError(await api('GET', '/api/sessions', { token: bobToken }), 403, 'forbidden', 'bob\'s token after the demotion (the role is looked up per request)');

    const newPassword = await asAdmin('PATCH', `/api/users/${bob.id}`, { json: { password: 'battery staple' } });
    assert.equal(newPassword.status, 200, newPassword.text);
    assertError(await api('POST', '/api/auth/login', { json: { name: 'bob', password: 'correct horse' } }), 401, 'bad-credentials', 'the old password');
    await apiLogin(t.server.url, 'bob', 'battery staple');

    const del = await asAdmin('DELETE', `/api/users/${bob.id}`);
    assert.equal(del.status, 204, del.text);
    await waitFor(() => online.state === 'closed', 5000, 'bob\'s online session is removed');
    assert.deepEqual([online.denial?.type, online.denial?.reason], ['removed', 'kicked']);
    await watcher.take('user-left', (m) => m.sessionToken === online.sessionToken);
    const after = await asAdmin<{ sessions: ApiSession[] }>('GET', '/api/sessions');
    assert.ok(!after.body.sessions.some((s) => s.sessionToken === online.sessionToken));
    assertUnauthorized(await api('GET', '/api/me', { token: bobToken }), 'a deleted account\'s token');
    watcher.close();
  });

  test('users: there is always an admin: self-demotion and self-deletion are refused, and two admins demoting each other at once leave one', async () => {
    // "Admins cannot change their own role or delete their own account" (403): with one admin, that is
    // also what keeps the last admin; 409 guards the race below.
    assertError(await asAdmin('PATCH', `/api/users/${admin.user.id}`, { json: { role: 'moderator' } }), 403, 'forbidden', 'demoting oneself');
    assertError(await asAdmin('DELETE', `/api/users/${admin.user.id}`), 403, 'forbidden', 'deleting oneself');
    assert.equal((await asAdmin<{ user: ApiUser }>('GET', '/api/me')).body.user.role, 'admin', 'still admin');

    // A second admin may be demoted by the first.
    const second = await createUser('second-admin', 'second admin pw', 'admin');
    const demoted = await asAdmin<{ user: ApiUser }>('PATCH', `/api/users/${second.id}`, { json: { role: 'member' } });
    assert.equal(demoted.status, 200, demoted.text);
    assert.equal(demoted.body.user.role, 'member');

    // Two admins demote each other in the same instant: one wins, the other is refused (409 for the last
    // admin, or 403 if its own role is looked up after the first change). Never zero admins.
    const rival = await createUser('rival-admin', 'rival admin pw', 'admin');
    const asRival = apiClient(t.server.url, (await apiLogin(t.server.url, 'rival-admin', 'rival admin pw')).token);
    const [mine, theirs] = await Promise.all([
      asAdmin('PATCH', `/api/users/${rival.id}`, { json: { role: 'member' } }),
      asRival('PATCH', `/api/users/${admin.user.id}`, { json: { role: 'member' } }),
    ]);
    const statuses = [mine.status, theirs.status].sort();
    assert.ok(statuses[0] === 200 && (statuses[1] === 403 || statuses[1] === 409), `one wins, one is refused: ${mine.status} ${mine.text} / ${theirs.status} ${theirs.text}`);
    const users = queryDataDir<{ name: string }>(t.dataDir, "SELECT name FROM users WHERE role = 'admin'");
    assert.equal(users.length, 1, `exactly one admin left: ${JSON.stringify(users)}`);
  });
});

describe('login throttle', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer(accountEnv());
  });
  after(async () => {
    await t?.close();
  });

  async function attempt(name: string, password: string, localAddress: string): Promise<ApiResponse> {
    return apiRequest(t.server.url, 'POST', '/api/auth/login', { json: { name, password }, localAddress });
  }

  function retryAfter(r: ApiResponse): number {
    const v = header(r, 'Retry-After');
    assert.match(v, /^\d+$/, `Retry-After is whole seconds, got "${v}"`);
    return Number(v);
  }

  test('10 failures from one address block that address (429 + Retry-After), even with the right password; other addresses are not blocked', async () => {
    const from = '127.0.0.3';
    for (let i = 0; i < 10; i++) assertError(await attempt(`stranger-${i}`, 'wrong password', from), 401, 'bad-credentials', `failure ${i + 1}`);
    const blocked = await attempt('admin', TEST_ADMIN_PASSWORD, from);
    assertError(blocked, 429, 'rate-limited', 'the 11th attempt from the address');
    const wait = retryAfter(blocked);
    assert.ok(wait > 0 && wait <= 300, `blocked for up to 5 minutes, Retry-After ${wait}`);
    assert.equal((await attempt('admin', TEST_ADMIN_PASSWORD, '127.0.0.1')).status, 200, 'another address logs in');
  });

  test('10 failures for one account (from many addresses) block that account; other accounts are not blocked', async () => {
    const asAdmin = apiClient(t.server.url, (await apiLogin(t.server.url, 'admin', TEST_ADMIN_PASSWORD)).token);
    assert.equal((await asAdmin('POST', '/api/users', { json: { name: 'target', password: 'target password' } })).status, 201);
    assert.equal((await asAdmin('POST', '/api/users', { json: { name: 'bystander', password: 'bystander password' } })).status, 201);
    for (let i = 0; i < 10; i++) assertError(await attempt('target', 'wrong password', `127.0.1.${10 + i}`), 401, 'bad-credentials', `failure ${i + 1}`);
    const blocked = await attempt('target', 'target password', '127.0.0.1');
    assertError(blocked, 429, 'rate-limited', 'the right password for the blocked account');
    const wait = retryAfter(blocked);
    assert.ok(wait > 0 && wait <= 300, `Retry-After ${wait}`);
    assert.equal((await attempt('bystander', 'bystander password', '127.0.0.1')).status, 200, 'another account logs in from the same address');
  });
});

describe('X-Forwarded-For', () => {
  const servers: TestServer[] = [];
  after(async () => {
    closeRawClients();
    for (const s of servers) await s.close();
  });

  test('is ignored without VOICE_TRUSTED_PROXIES: a client cannot dodge the throttle by inventing addresses', async () => {
    const s = await startTestServer(accountEnv());
    servers.push(s);
    const from = '127.0.0.6';
    for (let i = 0; i < 10; i++) {
      const r = await apiRequest(s.server.url, 'POST', '/api/auth/login', { json: { name: `nobody-${i}`, password: 'wrong password' }, localAddress: from, headers: { 'X-Forwarded-For': `198.51.100.${i}` } });
      assertError(r, 401, 'bad-credentials', `failure ${i + 1}`);
    }
    const r = await apiRequest(s.server.url, 'POST', '/api/auth/login', { json: { name: 'admin', password: TEST_ADMIN_PASSWORD }, localAddress: from, headers: { 'X-Forwarded-For': '198.51.100.99' } });
    assertError(r, 429, 'rate-limited', 'the socket address is what counts');
    const c = await rawControlClient(s.server.url, { headers: { 'X-Forwarded-For': '198.51.100.7' } });
    const w = await c.hello('spoofer');
    assert.ok(w.type === 'welcome');
    const asAdmin = apiClient(s.server.url, (await apiLogin(s.server.url, 'admin', TEST_ADMIN_PASSWORD)).token);
    const listed = (await asAdmin<{ sessions: ApiSession[] }>('GET', '/api/sessions')).body.sessions.find((x) => x.sessionToken === w.sessionToken);
    assert.match(listed?.address ?? '', /^(::ffff:)?127\.0\.0\.1$/, 'the session\'s address is the socket\'s');
    c.close();
  });

  test('from a trusted proxy it names the client: throttle, session address and bans apply to that address', async () => {
    const s = await startTestServer(accountEnv({ VOICE_TRUSTED_PROXIES: '127.0.0.1' }));
    servers.push(s);
    const via = (client: string) => ({ headers: { 'X-Forwarded-For': client } });
    for (let i = 0; i < 10; i++) {
      const r = await apiRequest(s.server.url, 'POST', '/api/auth/login', { json: { name: `nobody-${i}`, password: 'wrong password' }, ...via('203.0.113.9') });
      assertError(r, 401, 'bad-credentials', `failure ${i + 1}`);
    }
    const blocked = await apiRequest(s.server.url, 'POST', '/api/auth/login', { json: { name: 'admin', password: TEST_ADMIN_PASSWORD }, ...via('203.0.113.9') });
    assertError(blocked, 429, 'rate-limited', 'the forwarded client is blocked');
    const other = await apiRequest<ApiLogin>(s.server.url, 'POST', '/api/auth/login', { json: { name: 'admin', password: TEST_ADMIN_PASSWORD }, ...via('203.0.113.10') });
    assert.equal(other.status, 200, `another client behind the same proxy: ${other.text}`);
    const asAdmin = apiClient(s.server.url, other.body.token);

    const c = await rawControlClient(s.server.url, via('203.0.113.20'));
    const w = await c.hello('behind-proxy');
    assert.ok(w.type === 'welcome');
    const listed = (await asAdmin<{ sessions: ApiSession[] }>('GET', '/api/sessions')).body.sessions.find((x) => x.sessionToken === w.sessionToken);
    assert.equal(listed?.address, '203.0.113.20');
    const ban = await asAdmin<{ ban: ApiBan; kicked: number[] }>('POST', '/api/ban', { json: { address: '203.0.113.16/28' } });
    assert.equal(ban.status, 201, ban.text);
    assert.deepEqual(ban.body.kicked, [w.sessionToken]);
    const again = await rawControlClient(s.server.url, via('203.0.113.21'));
    const denied = await again.hello('behind-proxy-again');
    assert.ok(denied.type === 'access-denied' && denied.reason === 'banned', JSON.stringify(denied).slice(0, 200));
    const direct = await rawControlClient(s.server.url);
    assert.equal((await direct.hello('at-the-proxy')).type, 'welcome', 'the proxy itself is not banned');
    direct.close();
  });
});

describe('the token key in the data dir', () => {
  let dataDir = '';
  let t: TestServer | null = null;
  before(async () => {
    dataDir = await makeTempDir('voice-app-tokens-');
  });
  after(async () => {
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function restart(env: Record<string, string> = {}): Promise<TestServer> {
    await t?.close();
    t = await startTestServerIn(dataDir, { VOICE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, ...env });
    return t;
  }

  test('without VOICE_TOKEN_SECRET: 32 random bytes in token-secret.key (0600), kept across restarts; replacing it revokes every token', async () => {
    let s = await restart();
    const file = path.join(dataDir, 'token-secret.key');
    const st = await stat(file);
    assert.equal(st.mode & 0o777, 0o600, `mode ${(st.mode & 0o777).toString(8)}`);
    const text = (await readFile(file, 'utf8')).trim();
    const key = Buffer.from(text, 'base64url');
    assert.equal(key.length, 32, 'base64url of 32 bytes');
    assert.equal(key.toString('base64url'), text);
    const first = await apiLogin(s.server.url, 'admin', TEST_ADMIN_PASSWORD);
    await jwtVerify(first.token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });

    s = await restart();
    assert.equal((await readFile(file, 'utf8')).trim(), text, 'the key is not regenerated');
    assert.equal((await apiRequest(s.server.url, 'GET', '/api/me', { token: first.token })).status, 200, 'a token survives a restart');

    await t!.close();
    t = null;
    const replacement = randomBytes(32);
    await writeFile(file, replacement.toString('base64url') + '\n', { mode: 0o600 });
    s = await restart();
    assertUnauthorized(await apiRequest(s.server.url, 'GET', '/api/me', { token: first.token }), 'a token signed with the replaced key');
    const second = await apiLogin(s.server.url, 'admin', TEST_ADMIN_PASSWORD);
    await jwtVerify(second.token, replacement, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
  });

  test('VOICE_TOKEN_TTL_SECONDS sets exp (expired tokens are refused: see the 401 matrix)', async () => {
    const s = await restart({ VOICE_TOKEN_TTL_SECONDS: '120' });
    const login = await apiLogin(s.server.url, 'admin', TEST_ADMIN_PASSWORD);
    const payload = decodeJwt(login.token);
    assert.equal(payload.exp! - payload.iat!, 120);
    assert.ok(Math.abs(login.expiresAt - payload.exp! * 1000) <= 1000);
    assert.equal((await apiRequest(s.server.url, 'GET', '/api/me', { token: login.token })).status, 200);
  });
});

test('config: the new settings are checked at start-up', () => {
  assert.throws(() => loadConfig({ VOICE_TOKEN_SECRET: 'too short' }), /VOICE_TOKEN_SECRET/);
  assert.throws(() => loadConfig({ VOICE_ALLOW_GUESTS: 'maybe' }), /VOICE_ALLOW_GUESTS/);
  assert.throws(() => loadConfig({ VOICE_ALLOW_REGISTRATION: 'yes please' }), /VOICE_ALLOW_REGISTRATION/);
  assert.throws(() => loadConfig({ VOICE_TOKEN_TTL_SECONDS: 'an hour' }), /VOICE_TOKEN_TTL_SECONDS/);
  assert.throws(() => loadConfig({ VOICE_CHAT_HISTORY: '-1' }), /VOICE_CHAT_HISTORY/);
  assert.throws(() => loadConfig({ VOICE_ADMIN_PASSWORD: 'short' }), /VOICE_ADMIN_PASSWORD/);
  assert.throws(() => loadConfig({ VOICE_TRUSTED_PROXIES: 'proxy.example' }), /VOICE_TRUSTED_PROXIES/);
  for (const env of [
    { VOICE_TOKEN_SECRET: TEST_TOKEN_SECRET },
    { VOICE_ALLOW_GUESTS: 'false', VOICE_ALLOW_REGISTRATION: 'true' },
    { VOICE_TOKEN_TTL_SECONDS: '60', VOICE_CHAT_HISTORY: '0', VOICE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
  ]) {
    assert.doesNotThrow(() => loadConfig(env), JSON.stringify(env));
  }
});
