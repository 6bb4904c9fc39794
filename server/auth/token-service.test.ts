/**
 * Admin API tokens with real crypto: the key file is created once with mode
 * 0600 and reused, a short configured secret is a ConfigError, issued tokens
 * carry the documented header and claims, and every forged, stale or broken
 * token is refused with a short reason instead of a throw.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import {
  TOKEN_AUDIENCE,
  TOKEN_CLOCK_TOLERANCE_SECONDS,
  TOKEN_ISSUER,
  TOKEN_SECRET_FILE,
  TokenService,
} from './token-service.ts';
import { ConfigError } from '../util/errors.ts';

const TTL = 3600;
const SECRET = 'a configured secret of more than thirty-two bytes';
const KEY = new TextEncoder().encode(SECRET);
const NOW = 1_795_400_000_000;
const NOW_S = NOW / 1000;

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'token-service-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirCount = 0;
/** A data directory path that does not exist yet. */
const freshDir = () => join(root, `data-${++dirCount}`);

async function configured(ttlSeconds = TTL): Promise<TokenService> {
  return (await TokenService.load({ dataDir: freshDir(), secret: SECRET, ttlSeconds })).service;
}

/** Claims a genuine token would have, to be altered one at a time. */
function claims(overrides: JWTPayload = {}): JWTPayload {
  return { sub: '42', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat: NOW_S, exp: NOW_S + TTL, ...overrides };
}

/** A token signed with `key` by hand; `undefined` in `overrides` removes a claim. */
async function sign(payload: JWTPayload, key: Uint8Array = KEY, alg = 'HS256'): Promise<string> {
  const clean = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return new SignJWT(clean).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS over exactly these two parts, with a genuine HS256 MAC under KEY. */
function hmacToken(header: string, payload: string): string {
  return `${header}.${payload}.${createHmac('sha256', KEY).update(`${header}.${payload}`).digest('base64url')}`;
}

describe('TokenService.load', () => {
  test('without a secret: creates dataDir (0700) and token-secret.key (0600, 32 random bytes as base64url)', async () => {
    const dataDir = freshDir();
    const { service, created } = await TokenService.load({ dataDir, secret: null, ttlSeconds: TTL });
    assert.equal(created, true);
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    const file = join(dataDir, TOKEN_SECRET_FILE);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(text, 'base64url').length, 32);
    assert.deepEqual(await readdir(dataDir), [TOKEN_SECRET_FILE], 'no temporary file left behind');

    // The file holds the signing key.
    const { token } = await service.issue(7, NOW);
    assert.deepEqual(await (await TokenService.load({ dataDir: freshDir(), secret: null, ttlSeconds: TTL })).service.verify(token, NOW), {
      ok: false,
      reason: 'bad signature',
    });
    const own = await sign(claims({ sub: '7' }), Buffer.from(text, 'base64url'));
    assert.deepEqual(await service.verify(own, NOW), { ok: true, userId: 7 });
  });

  test('an existing data directory keeps its mode', async () => {
    const dataDir = freshDir();
    await mkdir(dataDir, { mode: 0o755 });
    await TokenService.load({ dataDir, secret: null, ttlSeconds: TTL });
    assert.equal((await stat(dataDir)).mode & 0o777, 0o755);
  });

  test('the second load reuses the file: a token from before still verifies', async () => {
    const dataDir = freshDir();
    const first = await TokenService.load({ dataDir, secret: null, ttlSeconds: TTL });
    const text = await readFile(join(dataDir, TOKEN_SECRET_FILE), 'utf8');
    const { token } = await first.service.issue(42, NOW);
    const second = await TokenService.load({ dataDir, secret: null, ttlSeconds: TTL });
    assert.equal(second.created, false);
    assert.equal(await readFile(join(dataDir, TOKEN_SECRET_FILE), 'utf8'), text, 'the file is not rewritten');
    assert.deepEqual(await second.service.verify(token, NOW + 1000), { ok: true, userId: 42 });
  });

  test('a trailing newline in the key file is tolerated', async () => {
    const dataDir = freshDir();
    await mkdir(dataDir);
    const bytes = Buffer.alloc(32, 9);
    await writeFile(join(dataDir, TOKEN_SECRET_FILE), `${bytes.toString('base64url')}\n`);
    const { service, created } = await TokenService.load({ dataDir, secret: null, ttlSeconds: TTL });
    assert.equal(created, false);
    assert.deepEqual(await service.verify(await sign(claims(), bytes), NOW), { ok: true, userId: 42 });
  });

  test('a key file with the wrong content is an Error naming the file', async () => {
    const contents = [
      '',
      'short',
      Buffer.alloc(31, 1).toString('base64url'),
      Buffer.alloc(33, 1).toString('base64url'),
      `${Buffer.alloc(32, 1).toString('base64url')}=`,
      Buffer.alloc(32, 1).toString('base64'), // has '/' or '+' or '=' padding
      Buffer.alloc(32, 1).toString('hex'),
      `${Buffer.alloc(32, 1).toString('base64url').slice(0, 42)}!`,
    ];
    for (const content of contents) {
      const dataDir = freshDir();
      await mkdir(dataDir);
      const file = join(dataDir, TOKEN_SECRET_FILE);
      await writeFile(file, content);
      await assert.rejects(TokenService.load({ dataDir, secret: null, ttlSeconds: TTL }), (error: Error) => {
        assert.ok(!(error instanceof ConfigError));
        assert.ok(error.message.includes(file), error.message);
        assert.ok(!error.message.includes('\n'));
        return true;
      }, JSON.stringify(content));
      assert.equal(await readFile(file, 'utf8'), content, 'a bad file is left alone');
    }
  });

  test('a configured secret: its UTF-8 bytes are the key, and no file is written', async () => {
    const dataDir = freshDir();
    const { service, created } = await TokenService.load({ dataDir, secret: SECRET, ttlSeconds: TTL });
    assert.equal(created, false);
    await assert.rejects(stat(dataDir), { code: 'ENOENT' });
    assert.deepEqual(await service.verify(await sign(claims()), NOW), { ok: true, userId: 42 });
  });

  test('a configured secret shorter than 32 bytes is a ConfigError (counted in UTF-8 bytes)', async () => {
    for (const secret of ['', 'x'.repeat(31), `${'é'.repeat(15)}x`]) {
      await assert.rejects(TokenService.load({ dataDir: freshDir(), secret, ttlSeconds: TTL }), (error: Error) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.ok(!error.message.includes('\n'));
        assert.ok(!error.message.includes(secret) || secret === '', 'the secret is not echoed');
        return true;
      });
    }
    // 32 bytes exactly is enough, also when the characters are multi-byte.
    await TokenService.load({ dataDir: freshDir(), secret: 'x'.repeat(32), ttlSeconds: TTL });
    await TokenService.load({ dataDir: freshDir(), secret: 'é'.repeat(16), ttlSeconds: TTL });
  });

  test('TypeError for a bad ttl', async () => {
    for (const ttlSeconds of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(TokenService.load({ dataDir: freshDir(), secret: SECRET, ttlSeconds }), TypeError);
    }
  });
});

describe('issue', () => {
  test('HS256 with {alg, typ} and the claims sub, iss, aud, iat, exp = iat + ttl, jti', async () => {
    const service = await configured();
    const { token, expiresAt } = await service.issue(42, NOW + 999);
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' });
    const payload = decodeJwt(token);
    assert.deepEqual(Object.keys(payload).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'sub']);
    assert.equal(payload.sub, '42');
    assert.equal(payload.iss, 'voice-app');
    assert.equal(payload.aud, 'voice-app/admin');
    assert.equal(payload.iat, NOW_S, 'iat is whole seconds, rounded down');
    assert.equal(payload.exp, NOW_S + TTL);
    assert.equal(expiresAt, (NOW_S + TTL) * 1000);
    assert.match(payload.jti!, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(decodeJwt((await service.issue(42, NOW + 999)).token).jti, payload.jti, 'jti is random');
  });

  test('round trip: verify gives the user id back', async () => {
    const service = await configured();
    const { token } = await service.issue(1, NOW);
    assert.deepEqual(await service.verify(token, NOW), { ok: true, userId: 1 });
    const big = await service.issue(Number.MAX_SAFE_INTEGER, NOW);
    assert.deepEqual(await service.verify(big.token, NOW), { ok: true, userId: Number.MAX_SAFE_INTEGER });
    // With the real clock too.
    const now = await service.issue(5);
    assert.deepEqual(await service.verify(now.token), { ok: true, userId: 5 });
  });

  test('TypeError for a user id that is not a positive safe integer, or a bad time', async () => {
    const service = await configured();
    for (const id of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '1']) {
      await assert.rejects(service.issue(id as number, NOW), TypeError, String(id));
    }
    await assert.rejects(service.issue(1, Number.NaN), TypeError);
  });
});

describe('verify', () => {
  let service: TokenService;
  before(async () => {
    service = await configured();
  });

  const refused = async (token: string, reason: string, nowMs = NOW) =>
    assert.deepEqual(await service.verify(token, nowMs), { ok: false, reason }, token);

  test('a token is good until its exp (plus the clock tolerance), then expired', async () => {
    const { token, expiresAt } = await service.issue(42, NOW);
    assert.deepEqual(await service.verify(token, expiresAt - 1), { ok: true, userId: 42 });
    const lastGood = expiresAt + TOKEN_CLOCK_TOLERANCE_SECONDS * 1000 - 1;
    assert.deepEqual(await service.verify(token, lastGood), { ok: true, userId: 42 });
    await refused(token, 'expired', lastGood + 1);
  });

  test('expired: issued long ago', async () => {
    const { token } = await service.issue(42, NOW - (TTL + 60) * 1000);
    await refused(token, 'expired');
  });

  test('missing exp, iat or sub', async () => {
    await refused(await sign(claims({ exp: undefined })), 'missing exp');
    await refused(await sign(claims({ iat: undefined })), 'missing iat');
    await refused(await sign(claims({ sub: undefined })), 'missing sub');
    await refused(await sign(claims({ aud: undefined })), 'missing aud');
    await refused(await sign(claims({ iss: undefined })), 'missing iss');
  });

  test('alg: none (an unsecured JWT built by hand)', async () => {
    const unsecured = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`;
    await refused(unsecured, 'algorithm not allowed');
    await refused(`${b64({ alg: 'None', typ: 'JWT' })}.${b64(claims())}.`, 'algorithm not allowed');
  });

  test('another algorithm with the same key: HS512, HS384', async () => {
    await refused(await sign(claims(), KEY, 'HS512'), 'algorithm not allowed');
    await refused(await sign(claims(), KEY, 'HS384'), 'algorithm not allowed');
    // An asymmetric alg claimed on an HMAC signature.
    const [, payload, signature] = (await sign(claims())).split('.');
    await refused(`${b64({ alg: 'RS256', typ: 'JWT' })}.${payload}.${signature}`, 'algorithm not allowed');
  });

  test('wrong audience or issuer', async () => {
    await refused(await sign(claims({ aud: 'voice-app/other' })), 'wrong audience');
    await refused(await sign(claims({ aud: ['someone-else'] })), 'wrong audience');
    await refused(await sign(claims({ iss: 'not-voice-app' })), 'wrong issuer');
  });

  test('signed with another key', async () => {
    await refused(await sign(claims(), new TextEncoder().encode(`${SECRET}!`)), 'bad signature');
    const other = (await TokenService.load({ dataDir: freshDir(), secret: null, ttlSeconds: TTL })).service;
    await refused((await other.issue(42, NOW)).token, 'bad signature');
  });

  test('tampered payload or header, or a stripped signature', async () => {
    const { token } = await service.issue(42, NOW);
    const [header, , signature] = token.split('.');
    const admin = b64({ ...decodeJwt(token), sub: '1' });
    await refused(`${header}.${admin}.${signature}`, 'bad signature');
    const longer = b64({ ...decodeJwt(token), exp: NOW_S + 10 * TTL });
    await refused(`${header}.${longer}.${signature}`, 'bad signature');
    await refused(`${b64({ alg: 'HS256' })}.${token.split('.')[1]}.${signature}`, 'bad signature');
    await refused(`${header}.${token.split('.')[1]}.`, 'bad signature');
    await refused(`${token}x`, 'bad signature'); // one more base64url character: a different MAC
    await refused(`${token}!`, 'malformed'); // not base64url any more
  });

  test('sub must be a decimal positive safe integer', async () => {
    for (const sub of ['abc', '0', '-1', '01', '1.5', '1e3', ' 1', '0x10', '9007199254740993', '', 42]) {
      await refused(await sign(claims({ sub: sub as string })), 'bad subject');
    }
  });

  test('claims of the wrong type', async () => {
    await refused(await sign(claims({ exp: String(NOW_S + TTL) as unknown as number })), 'invalid exp');
    await refused(await sign(claims({ iat: 'yesterday' as unknown as number })), 'invalid iat');
  });

  test('iat in the future, nbf in the future, or older than the ttl', async () => {
    await refused(await sign(claims({ iat: NOW_S + 60, exp: NOW_S + 60 + TTL })), 'issued in the future');
    await refused(await sign(claims({ nbf: NOW_S + 60 })), 'not yet valid');
    // A long-lived token from before the TTL was lowered: exp is fine, the age is not.
    await refused(await sign(claims({ iat: NOW_S - TTL - 60, exp: NOW_S + TTL })), 'too old');
    // Within the tolerance, a small step of the clock does not refuse a fresh token.
    assert.deepEqual(await service.verify(await sign(claims({ iat: NOW_S + 2 })), NOW), { ok: true, userId: 42 });
  });

  test('garbage is malformed, never a throw', async () => {
    const garbage: unknown[] = [
      '',
      'a.b',
      'x.y.z',
      '...',
      'a.b.c.d',
      'not a token',
      `${b64('just a string')}.${b64(claims())}.`,
      `${b64({ typ: 'JWT' })}.${b64(claims())}.AAAA`,
      'é.é.é',
      'x'.repeat(100_000),
      null,
      undefined,
      42,
    ];
    for (const token of garbage) {
      const result = await service.verify(token as string, NOW);
      assert.equal(result.ok, false, String(token).slice(0, 40));
      assert.equal((result as { reason: string }).reason, 'malformed', String(token).slice(0, 40));
    }
    // A critical header extension we do not implement.
    await refused(hmacToken(b64({ alg: 'HS256', crit: ['x-ext'], 'x-ext': 1 }), b64(claims())), 'not supported');
    // Well signed, but the payload is not a JSON object…
    await refused(hmacToken(b64({ alg: 'HS256' }), b64([1, 2])), 'malformed');
    await refused(hmacToken(b64({ alg: 'HS256' }), Buffer.from('{"sub":').toString('base64url')), 'malformed');
    // …or is not base64url-encoded at all (RFC 7797 b64: false, which a JWT must not use).
    const raw = hmacToken(b64({ alg: 'HS256', b64: false, crit: ['b64'] }), JSON.stringify(claims()));
    await refused(raw, 'malformed');
  });
});
