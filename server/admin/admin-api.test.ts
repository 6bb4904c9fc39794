/**
 * The admin API middleware over real HTTP on loopback: a small Koa app with
 * adminApi() and a route table of its own, a real TokenService (key file in a
 * temp data dir), a real AccountStore and BanList on a migrated SQLite
 * database. Every failure comes back in the one error shape
 * `{ error, message, fields? }` with the right status and headers: 404, 405 +
 * Allow, 401 + WWW-Authenticate, 403 (role, ban), 400 with zod's fields, 413,
 * 415, 409, 503 + Retry-After, and a 500 that tells the client nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { z } from 'zod';
import type { Role } from '../../shared/auth/roles.ts';
import { adminApi } from './admin-api.ts';
import { notFound } from './api-error.ts';
import { MAX_BODY_BYTES } from './json-body.ts';
import { callerOf, idParam, route, type AdminDeps, type Route } from './route.ts';
import { AccountStore } from '../accounts/account-store.ts';
import { Gatekeeper } from '../auth/gatekeeper.ts';
import { LoginThrottle } from '../auth/login-throttle.ts';
import { TokenService } from '../auth/token-service.ts';
import { BanList } from '../bans/ban-list.ts';
import { parseAddressRange } from '../bans/ip-range.ts';
import { ChannelDirectory } from '../channels/channel-directory.ts';
import { ChatHistory } from '../chat/chat-history.ts';
import { SessionManager } from '../control/session-manager.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { migrateToLatestOrThrow } from '../db/migrate.ts';
import { RelayShards } from '../shards/relay-shards.ts';
import { BusyError, ConflictError, NotFoundError } from '../util/errors.ts';
import { setLogLevel } from '../util/log.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const SECRET_DETAIL = 'SQLITE_IOERR reading /var/lib/voice-app/secret.sqlite';
const BEARER_CHALLENGE = 'Bearer realm="voice-app"';

const thingBody = z.object({
  name: z.string().min(1),
  config: z.object({ bitrate: z.number().int().min(6000) }),
});

/** The test's own route table: one route per behaviour the middleware must show. */
const ROUTES: readonly Route[] = [
  route({ method: 'GET', path: '/api/open', role: null, handle: (_deps, req) => ({ body: { caller: req.caller, address: req.address } }) }),
  route({ method: 'POST', path: '/api/echo', role: null, handle: () => ({ body: { ok: true } }) }),
  route({
    method: 'GET',
    path: '/api/things/:id',
    role: 'member',
    handle: (_deps, req) => ({ body: { id: req.params['id'], caller: callerOf(req).name } }),
  }),
  route({ method: 'DELETE', path: '/api/things/:id', role: 'admin', handle: () => ({ status: 204 }) }),
  route({
    method: 'POST',
    path: '/api/things',
    role: 'member',
    body: thingBody,
    handle: (_deps, req) => ({ status: 201, body: { received: req.body } }),
  }),
  route({ method: 'PATCH', path: '/api/numbered/:id', role: 'moderator', handle: (_deps, req) => ({ body: { id: idParam(req) } }) }),
  route({ method: 'GET', path: '/api/missing', role: null, handle: () => Promise.reject(notFound('widget')) }),
  route({ method: 'GET', path: '/api/gone', role: null, handle: () => Promise.reject(new NotFoundError('no widget with id 7')) }),
  route({ method: 'POST', path: '/api/gone', role: null, handle: () => Promise.reject(new NotFoundError('no widget with id 8', { field: 'parentId' })) }),
  route({
    method: 'POST',
    path: '/api/conflict',
    role: 'member',
    handle: () => {
      throw new ConflictError('the name "x" is already registered');
    },
  }),
  route({
    method: 'POST',
    path: '/api/busy',
    role: null,
    handle: async () => {
      throw new BusyError('hash queue full (32 waiting)');
    },
  }),
  route({
    method: 'GET',
    path: '/api/boom',
    role: null,
    handle: async () => {
      throw new Error(SECRET_DETAIL);
    },
  }),
];

let dataDir = '';
let db: Database;
let accounts: AccountStore;
let bans: BanList;
let tokens: TokenService;
let server: http.Server;
let base = '';

before(async () => {
  setLogLevel('silent'); // the 500 test logs an error on purpose
  dataDir = await mkdtemp(path.join(tmpdir(), 'admin-api-'));
  db = openDatabase(dataDir);
  await migrateToLatestOrThrow(db, path.join(repoRoot, 'migrations'));
  accounts = new AccountStore(db);
  bans = await BanList.load(db);
  tokens = (await TokenService.load({ dataDir, secret: null, ttlSeconds: 3600 })).service;
  const channels = await ChannelDirectory.load(db);
  const deps: AdminDeps = {
    db,
    accounts,
    bans,
    channels,
    // Relay shards never started: no session here gets a peer, membership only fills their mirror.
    sessions: new SessionManager(channels, new RelayShards({ threads: 1, peer: { portRange: null, extraHostAddresses: [], announcedAddress: null, dtlsKeys: null }, logLevel: 'error' }), new ChatHistory(db, 10), {
      serverName: 'admin-api test',
      resumeGraceMs: 1000,
    }),
    gatekeeper: new Gatekeeper(accounts, bans, new LoginThrottle(), { allowGuests: true, allowRegistration: true }),
    tokens,
    stats: () => assert.fail('no route in this table reads the stats'),
    trustedProxies: [],
  };
  const app = new Koa();
  app.use(adminApi(deps, ROUTES));
  app.use((ctx) => {
    ctx.body = 'not the API';
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.close();
  await rm(dataDir, { recursive: true, force: true });
});

let userCount = 0;
/** A fresh account of `role` (no password: the tests authenticate by token) and a token for it. */
async function caller(role: Role): Promise<{ id: number; name: string; auth: { Authorization: string } }> {
  const name = `${role}-${++userCount}`;
  const r = await db.kysely
    .insertInto('users')
    .values({ name, role, password_hash: '$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', created_at: Date.now() })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { token } = await tokens.issue(r.id);
  return { id: r.id, name, auth: { Authorization: `Bearer ${token}` } };
}

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(method: string, urlPath: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const res = await fetch(`${base}${urlPath}`, { method, headers: init.headers, body: init.body });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, headers: res.headers, body: text !== '' && type.startsWith('application/json') ? JSON.parse(text) : text };
}

const json = (value: unknown, headers: Record<string, string> = {}) => ({
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(value),
});

/** A POST whose body goes out in `parts` chunks with Transfer-Encoding: chunked (no Content-Length). */
function chunkedPost(urlPath: string, total: number, parts: number): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${urlPath}`,
      { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    const part = Buffer.alloc(Math.ceil(total / parts), 0x20);
    for (let i = 0; i < parts; i++) req.write(part);
    req.end();
  });
}

function assertError(reply: Reply, status: number, error: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal((reply.body as { error?: unknown }).error, error);
  assert.equal(typeof (reply.body as { message?: unknown }).message, 'string');
  assert.equal(reply.headers.get('cache-control'), 'no-store');
}

describe('routing', () => {
  test('only /api/ is the API: other paths go on to the next middleware', async () => {
    for (const p of ['/', '/admin', '/api', '/apix/open']) {
      const r = await call('GET', p);
      assert.equal(r.status, 200, p);
      assert.equal(r.body, 'not the API', p);
    }
  });

  test('an unknown /api/ path is 404 not-found, in the error shape, not cached', async () => {
    for (const p of ['/api/', '/api/nothing', '/api/things/1/extra', '/api/open/', '/api/OPEN']) {
      const r = await call('GET', p);
      assertError(r, 404, 'not-found');
      assert.match((r.body as { message: string }).message, /no API route/);
    }
  });

  test('a known path with another method is 405 with Allow, before any token is asked for', async () => {
    const post = await call('POST', '/api/things/7');
    assertError(post, 405, 'method-not-allowed');
    assert.equal(post.headers.get('allow'), 'GET, DELETE');
    const put = await call('PUT', '/api/open');
    assertError(put, 405, 'method-not-allowed');
    assert.equal(put.headers.get('allow'), 'GET');
    assert.equal(put.headers.get('www-authenticate'), null);
    const get = await call('GET', '/api/things');
    assertError(get, 405, 'method-not-allowed');
    assert.equal(get.headers.get('allow'), 'POST');
  });

  test('HEAD is answered by the GET route', async () => {
    const r = await call('HEAD', '/api/open');
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
  });

  test('a route without a role needs no token: caller null, address the client socket, X-Forwarded-For ignored', async () => {
    const r = await call('GET', '/api/open', { headers: { 'X-Forwarded-For': '198.51.100.1' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { caller: null, address: '127.0.0.1' });
    assert.equal(r.headers.get('cache-control'), 'no-store');
  });

  test('path parameters arrive percent-decoded', async () => {
    const { auth, name } = await caller('member');
    const r = await call('GET', '/api/things/a%20b%2Fc', { headers: auth });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { id: 'a b/c', caller: name });
  });

  test(
    'a malformed percent-escape in a path parameter is a 400, not a 500',
    async () => {
      const { auth } = await caller('member');
      const r = await call('GET', '/api/things/%E0%A4%A', { headers: auth });
      assertError(r, 400, 'bad-request');
    },
  );

  test('an ApiError from a handler keeps its status (idParam → 400 naming the field; notFound → 404)', async () => {
    const { auth } = await caller('moderator');
    const bad = await call('PATCH', '/api/numbered/abc', { headers: auth });
    assertError(bad, 400, 'bad-request');
    assert.deepEqual((bad.body as { fields: unknown }).fields, { id: 'must be a positive whole number' });
    const good = await call('PATCH', '/api/numbered/42', { headers: auth });
    assert.deepEqual(good.body, { id: 42 });
    const missing = await call('GET', '/api/missing');
    assertError(missing, 404, 'not-found');
    assert.equal((missing.body as { message: string }).message, 'no such widget');
  });

  test('a NotFoundError is a 404, or a 400 naming its field when the unknown id came in the body', async () => {
    const gone = await call('GET', '/api/gone');
    assertError(gone, 404, 'not-found');
    assert.equal((gone.body as { message: string }).message, 'no widget with id 7');
    const badParent = await call('POST', '/api/gone', { headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assertError(badParent, 400, 'bad-request');
    assert.deepEqual((badParent.body as { fields: unknown }).fields, { parentId: 'no widget with id 8' });
  });
});

describe('authentication: 401 with WWW-Authenticate', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['an empty Authorization header', { Authorization: '' }],
    ['another scheme', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ['Bearer without a token', { Authorization: 'Bearer ' }],
    ['a token with characters no JWT has', { Authorization: 'Bearer a b' }],
    ['a token that is not a JWT', { Authorization: 'Bearer not.a.token' }],
  ];
  for (const [what, headers] of cases) {
    test(what, async () => {
      const r = await call('GET', '/api/things/1', { headers });
      assertError(r, 401, 'unauthorized');
      assert.equal(r.headers.get('www-authenticate'), BEARER_CHALLENGE);
    });
  }

  test('a token signed with another server key', async () => {
    const otherDir = await mkdtemp(path.join(tmpdir(), 'admin-api-other-'));
    try {
      const other = (await TokenService.load({ dataDir: otherDir, secret: null, ttlSeconds: 3600 })).service;
      const { id } = await caller('admin');
      const { token } = await other.issue(id);
      const r = await call('GET', '/api/things/1', { headers: { Authorization: `Bearer ${token}` } });
      assertError(r, 401, 'unauthorized');
      assert.match((r.body as { message: string }).message, /bad signature/);
      assert.equal(r.headers.get('www-authenticate'), BEARER_CHALLENGE);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  test('an expired token', async () => {
    const { id } = await caller('admin');
    const { token } = await tokens.issue(id, Date.now() - 2 * 3600_000);
    const r = await call('GET', '/api/things/1', { headers: { Authorization: `Bearer ${token}` } });
    assertError(r, 401, 'unauthorized');
    assert.match((r.body as { message: string }).message, /expired/);
    assert.equal(r.headers.get('www-authenticate'), BEARER_CHALLENGE);
  });

  test("a valid token whose account has been deleted", async () => {
    const { id, auth } = await caller('member');
    assert.equal((await call('GET', '/api/things/1', { headers: auth })).status, 200);
    assert.equal(await accounts.delete(id), true);
    const r = await call('GET', '/api/things/1', { headers: auth });
    assertError(r, 401, 'unauthorized');
    assert.equal(r.headers.get('www-authenticate'), BEARER_CHALLENGE);
  });
});

describe('authorisation: 403', () => {
  test('a role below the route’s least role is forbidden; at or above it is allowed', async () => {
    for (const role of ['guest', 'member', 'moderator'] as const) {
      const { auth } = await caller(role);
      const r = await call('DELETE', '/api/things/1', { headers: auth });
      assertError(r, 403, 'forbidden');
      assert.match((r.body as { message: string }).message, new RegExp(`needs the role admin; this account is ${role}`));
    }
    const admin = await caller('admin');
    assert.equal((await call('DELETE', '/api/things/1', { headers: admin.auth })).status, 204);
    const guest = await caller('guest');
    assertError(await call('GET', '/api/things/1', { headers: guest.auth }), 403, 'forbidden');
  });

  test('the account is read on every request: a role change applies to a token already issued', async () => {
    const { id, auth } = await caller('admin');
    await caller('admin'); // so this one may be demoted
    assert.equal((await call('DELETE', '/api/things/1', { headers: auth })).status, 204);
    await accounts.setRole(id, 'member');
    assertError(await call('DELETE', '/api/things/1', { headers: auth }), 403, 'forbidden');
  });

  test('a banned account is refused with 403 banned, even on a route it could otherwise call', async () => {
    const { id, name, auth } = await caller('admin');
    await bans.add({ userId: id, userName: name, range: null, reason: 'test', createdBy: 'test', expiresAt: null });
    const r = await call('GET', '/api/things/1', { headers: auth });
    assertError(r, 403, 'banned');
    assert.equal(r.headers.get('www-authenticate'), null);
  });

  test('a ban on the caller’s address applies at once to a token already issued, as at login: admins are spared', async () => {
    const mod = await caller('moderator');
    const admin = await caller('admin');
    assert.equal((await call('GET', '/api/things/1', { headers: mod.auth })).status, 200);
    const range = parseAddressRange('127.0.0.0/8');
    assert.ok(!('error' in range));
    const ban = await bans.add({ userId: null, userName: null, range, reason: 'loopback', createdBy: 'test', expiresAt: null });
    try {
      const r = await call('GET', '/api/things/1', { headers: mod.auth });
      assertError(r, 403, 'banned');
      assert.equal((r.body as { message: string }).message, 'you are banned from this server permanently: loopback');
      assert.equal((await call('GET', '/api/things/1', { headers: admin.auth })).status, 200, 'an admin can still get in to lift it');
    } finally {
      await bans.lift(ban.id);
    }
    assert.equal((await call('GET', '/api/things/1', { headers: mod.auth })).status, 200, 'lifted: in again');
  });
});

describe('request bodies', () => {
  test('a valid body reaches the handler parsed', async () => {
    const { auth } = await caller('member');
    const r = await call('POST', '/api/things', json({ name: 'x', config: { bitrate: 24000 } }, auth));
    assert.equal(r.status, 201);
    assert.deepEqual(r.body, { received: { name: 'x', config: { bitrate: 24000 } } });
  });

  test('zod failures are 400 with one entry per field, nested paths dotted', async () => {
    const { auth } = await caller('member');
    const r = await call('POST', '/api/things', json({ name: '', config: { bitrate: 'fast' } }, auth));
    assertError(r, 400, 'bad-request');
    const body = r.body as { message: string; fields: Record<string, string> };
    assert.deepEqual(Object.keys(body.fields).sort(), ['config.bitrate', 'name']);
    for (const m of Object.values(body.fields)) assert.ok(m.length > 0);
    assert.equal(body.message, 'invalid name, config.bitrate');
  });

  test('a body that is not an object at all is reported as the field `body`', async () => {
    const { auth } = await caller('member');
    const r = await call('POST', '/api/things', json([1, 2, 3], auth));
    assertError(r, 400, 'bad-request');
    assert.deepEqual(Object.keys((r.body as { fields: object }).fields), ['body']);
  });

  test('an empty body reads as {} and is then validated like any other', async () => {
    const { auth } = await caller('member');
    const r = await call('POST', '/api/things', { headers: auth });
    assertError(r, 400, 'bad-request');
    assert.deepEqual(Object.keys((r.body as { fields: object }).fields).sort(), ['config', 'name']);
    assert.equal((await call('POST', '/api/echo')).status, 200, 'no schema: an empty body is fine');
  });

  test('text that is not JSON is 400 naming the body', async () => {
    const r = await call('POST', '/api/echo', { headers: { 'Content-Type': 'application/json' }, body: '{"a":' });
    assertError(r, 400, 'bad-request');
    assert.deepEqual((r.body as { fields: unknown }).fields, { body: 'not valid JSON' });
  });

  test('a body that is not application/json is 415; a charset parameter is fine', async () => {
    assertError(await call('POST', '/api/echo', { headers: { 'Content-Type': 'text/plain' }, body: '{}' }), 415, 'unsupported-media-type');
    assertError(await call('POST', '/api/echo', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' }), 415, 'unsupported-media-type');
    const ok = await call('POST', '/api/echo', { headers: { 'Content-Type': 'Application/JSON; charset=utf-8' }, body: '{}' });
    assert.equal(ok.status, 200);
  });

  test(`exactly ${MAX_BODY_BYTES} bytes are accepted; one more is 413`, async () => {
    const exact = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES - '{"pad":""}'.length) });
    assert.equal(Buffer.byteLength(exact), MAX_BODY_BYTES);
    assert.equal((await call('POST', '/api/echo', { headers: { 'Content-Type': 'application/json' }, body: exact })).status, 200);
    const over = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES + 1 - '{"pad":""}'.length) });
    assertError(await call('POST', '/api/echo', { headers: { 'Content-Type': 'application/json' }, body: over }), 413, 'too-large');
  });

  test('413 also without a Content-Length, when a chunked body passes the cap', async () => {
    for (const [total, parts] of [
      [MAX_BODY_BYTES + 1, 1],
      [64 * 1024, 4],
      [1024 * 1024, 16],
    ] as const) {
      const r = await chunkedPost('/api/echo', total, parts);
      assert.equal(r.status, 413, `${total} bytes in ${parts} chunks`);
      assert.equal((r.body as { error: string }).error, 'too-large');
    }
  });

  test('an oversized body from a caller without a token is 401: authentication comes first', async () => {
    const r = await call('POST', '/api/things', { headers: { 'Content-Type': 'application/json' }, body: ' '.repeat(MAX_BODY_BYTES * 2) });
    assertError(r, 401, 'unauthorized');
  });
});

describe('errors from handlers', () => {
  test('ConflictError is 409 with its message', async () => {
    const { auth } = await caller('member');
    const r = await call('POST', '/api/conflict', { headers: auth });
    assertError(r, 409, 'conflict');
    assert.deepEqual(r.body, { error: 'conflict', message: 'the name "x" is already registered' });
  });

  test('BusyError is 503 with Retry-After', async () => {
    const r = await call('POST', '/api/busy');
    assertError(r, 503, 'busy');
    assert.equal(r.headers.get('retry-after'), '1');
    assert.ok(!JSON.stringify(r.body).includes('queue full'), 'the internal reason stays inside');
  });

  test('any other error is 500 internal, and nothing of it reaches the client', async () => {
    const r = await call('GET', '/api/boom');
    assertError(r, 500, 'internal');
    assert.deepEqual(r.body, { error: 'internal', message: 'the server failed to handle this request (see its log)' });
    const raw = JSON.stringify(r.body) + [...r.headers.entries()].join();
    for (const leak of ['SQLITE', 'secret', '/var/lib', 'at ', 'Error']) assert.ok(!raw.includes(leak), `response mentions ${leak}`);
  });
});
