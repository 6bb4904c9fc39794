import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminApi, ApiError, parseRetryAfter } from './admin-api.ts';

/** An AdminApi over a fetch that answers `respond(url, init)` and records the requests. */
function apiWith(respond: (url: string, init: RequestInit) => Response, token: string | null = 'tok') {
  const calls: { url: string; init: RequestInit }[] = [];
  const ended: ApiError[] = [];
  const api = new AdminApi({
    token: () => token,
    onUnauthorized: (e) => ended.push(e),
    fetch: (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return respond(url, init);
    }) as typeof fetch,
  });
  return { api, calls, ended };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

test('a call sends the bearer token and JSON, and returns the checked body', async () => {
  const { api, calls } = apiWith(() => json(201, { channel: { id: 5, parentId: 1, name: 'Raid', position: 0, maxUsers: 0, bitrate: 16000, frameSamples: 960, requiredRole: 'guest', locked: false } }));
  const c = await api.createChannel({ name: 'Raid', parentId: 1 });
  assert.equal(c.id, 5);
  const headers = calls[0]!.init.headers as Record<string, string>;
  assert.equal(headers['Authorization'], 'Bearer tok');
  assert.equal(headers['Content-Type'], 'application/json');
  assert.equal(calls[0]!.init.body, '{"name":"Raid","parentId":1}');
});

test('an error body becomes an ApiError with its code, fields and Retry-After', async () => {
  const { api } = apiWith(() => json(400, { error: 'bad-request', message: 'invalid address', fields: { address: 'not an IP address' } }));
  const e = await api.ban({ address: 'x', durationSeconds: null }).catch((x: unknown) => x);
  assert.ok(e instanceof ApiError);
  assert.equal(e.status, 400);
  assert.equal(e.code, 'bad-request');
  assert.deepEqual(e.fields, { address: 'not an IP address' });

  const limited = apiWith(() => json(429, { error: 'rate-limited', message: 'too many' }, { 'Retry-After': '300' }));
  const r = await limited.api.login('admin', 'x').catch((x: unknown) => x);
  assert.ok(r instanceof ApiError && r.code === 'rate-limited' && r.retryAfterSeconds === 300);
});

test('401 unauthorized and 403 banned end the session; a failed login does not', async () => {
  const expired = apiWith(() => json(401, { error: 'unauthorized', message: 'token expired' }));
  await assert.rejects(expired.api.sessions());
  assert.deepEqual(expired.ended.map((e) => e.code), ['unauthorized']);

  const banned = apiWith(() => json(403, { error: 'banned', message: 'this account is banned' }));
  await assert.rejects(banned.api.stats());
  assert.deepEqual(banned.ended.map((e) => e.code), ['banned']);

  const login = apiWith(() => json(401, { error: 'bad-credentials', message: 'wrong name or password' }), null);
  await assert.rejects(login.api.login('admin', 'nope'), (e: unknown) => e instanceof ApiError && e.code === 'bad-credentials');
  assert.equal(login.ended.length, 0);
  assert.equal((login.calls[0]!.init.headers as Record<string, string>)['Authorization'], undefined);
});

test('a body that is not the contract, a bare status, and no server at all are errors with words', async () => {
  const drift = apiWith(() => json(200, { sessions: [{ nickname: 'a' }] }));
  await assert.rejects(drift.api.sessions(), (e: unknown) => e instanceof ApiError && e.code === 'bad-response' && /sessions\.0\./.test(e.message));

  const proxy = apiWith(() => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
  await assert.rejects(proxy.api.bans(), (e: unknown) => e instanceof ApiError && e.code === 'http-502' && e.message === 'The server answered 502 Bad Gateway.');

  const down = apiWith(() => {
    throw new TypeError('fetch failed');
  });
  await assert.rejects(down.api.me(), (e: unknown) => e instanceof ApiError && e.status === 0 && e.code === 'network');
});

test('204 answers need no body', async () => {
  const { api, calls } = apiWith(() => new Response(null, { status: 204 }));
  await api.liftBan(7);
  assert.equal(calls[0]!.url, '/api/bans/7');
  assert.equal(calls[0]!.init.method, 'DELETE');
});

test('Retry-After as seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('120', 0), 120);
  assert.equal(parseRetryAfter(new Date(90_500).toUTCString(), 0), 90);
  assert.equal(parseRetryAfter('soon', 0), null);
  assert.equal(parseRetryAfter(null, 0), null);
});
