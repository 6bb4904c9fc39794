/**
 * Bearer tokens for the admin API: JWTs signed with HS256 under one server
 * key (docs/admin-api.md). The key is the configured secret's UTF-8 bytes, or
 * 32 random bytes kept in `<dataDir>/token-secret.key`; replacing either
 * revokes every token.
 *
 * Verification accepts HS256 only (never `none`, never another HMAC size or an
 * asymmetric algorithm that could be fed the secret as a "public key"), and
 * requires our issuer and audience and the exp, iat and sub claims.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { ConfigError } from '../util/errors.ts';
import { loadOrCreateKeyFile } from '../util/key-file.ts';

export const TOKEN_ISSUER = 'voice-app';
export const TOKEN_AUDIENCE = 'voice-app/admin';
export const TOKEN_ALGORITHM = 'HS256';
export const TOKEN_SECRET_FILE = 'token-secret.key';

/**
 * Leeway for exp and for an iat slightly in the future. Tokens are issued and
 * checked by this same process, so this covers only a clock step (NTP), and
 * it is why a token is still accepted up to this long after its `expiresAt`.
 */
export const TOKEN_CLOCK_TOLERANCE_SECONDS = 5;

/** An HMAC-SHA-256 key should be at least the hash's length. */
export const MIN_TOKEN_SECRET_BYTES = 32;
const SECRET_BYTES = MIN_TOKEN_SECRET_BYTES;
/** base64url of 32 bytes, unpadded. */
const SECRET_FILE_TEXT = /^[A-Za-z0-9_-]{43}$/;
const SUBJECT = /^[1-9][0-9]*$/;

export interface TokenServiceOptions {
  /** Where token-secret.key lives (created with mode 0700 if missing). */
  dataDir: string;
  /** A configured secret (≥ 32 bytes as UTF-8); null to use the key file. */
  secret: string | null;
  /** Lifetime of an issued token, in seconds. */
  ttlSeconds: number;
}

/**
 * A configured secret's key bytes (its UTF-8). ConfigError, naming `setting`
 * and never echoing the secret, when it is shorter than MIN_TOKEN_SECRET_BYTES:
 * loadConfig asks this when it parses VOICE_TOKEN_SECRET, TokenService.load
 * again for a secret that came another way.
 */
export function tokenSecretBytes(secret: string, setting = 'the token secret (VOICE_TOKEN_SECRET)'): Uint8Array<ArrayBuffer> {
  if (typeof secret !== 'string') throw new TypeError('secret must be a string');
  const bytes = Buffer.from(secret, 'utf8');
  if (bytes.length < MIN_TOKEN_SECRET_BYTES) {
    throw new ConfigError(`${setting} is ${bytes.length} bytes; it must be at least ${MIN_TOKEN_SECRET_BYTES} bytes (UTF-8)`);
  }
  return bytes;
}

export type TokenCheck = { ok: true; userId: number } | { ok: false; reason: string };

export class TokenService {
  readonly #key: CryptoKey;
  readonly #ttlSeconds: number;

  /** Use TokenService.load. */
  private constructor(key: CryptoKey, ttlSeconds: number) {
    this.#key = key;
    this.#ttlSeconds = ttlSeconds;
  }

  /**
   * The service with its key: the configured secret, else the key file, which
   * is created on first start (`created: true`). ConfigError for a secret
   * shorter than 32 bytes; an Error naming the file if its content is not a
   * key; file-system errors as they come.
   */
  static async load(options: TokenServiceOptions): Promise<{ service: TokenService; created: boolean }> {
    const { dataDir, secret, ttlSeconds } = options;
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) throw new TypeError('ttlSeconds must be a positive integer');
    let bytes: Uint8Array<ArrayBuffer>;
    let created = false;
    if (secret !== null) {
      bytes = tokenSecretBytes(secret);
    } else {
      if (typeof dataDir !== 'string' || dataDir.length === 0) throw new TypeError('dataDir must be a path');
      const file = await loadOrCreateKeyFile(join(dataDir, TOKEN_SECRET_FILE), () => randomBytes(SECRET_BYTES).toString('base64url'), parseSecretFile);
      bytes = file.value;
      created = file.created;
    }
    // Imported once, non-extractable, and usable only as HMAC-SHA-256.
    const key = await crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return { service: new TokenService(key, ttlSeconds), created };
  }

  /** A token for account `userId`, valid from `nowMs` (ms epoch) for the configured TTL. */
  async issue(userId: number, nowMs: number = Date.now()): Promise<{ token: string; expiresAt: number }> {
    if (!Number.isSafeInteger(userId) || userId <= 0) throw new TypeError('userId must be a positive integer');
    if (!Number.isFinite(nowMs)) throw new TypeError('nowMs must be a finite number');
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.#ttlSeconds;
    const token = await new SignJWT()
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'JWT' })
      .setSubject(String(userId))
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(this.#key);
    return { token, expiresAt: exp * 1000 };
  }

  /**
   * The account a token names, or a short reason for the log why it is
   * refused. Never throws for any token; `nowMs` (ms epoch, default now) is
   * there for tests and must be finite.
   */
  async verify(token: string, nowMs: number = Date.now()): Promise<TokenCheck> {
    if (!Number.isFinite(nowMs)) throw new TypeError('nowMs must be a finite number');
    if (typeof token !== 'string') return { ok: false, reason: 'malformed' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'sub'],
        // Also caps tokens issued before the TTL was lowered, and refuses an iat in the future.
        maxTokenAge: this.#ttlSeconds,
        clockTolerance: TOKEN_CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(nowMs),
      }));
    } catch (error) {
      return { ok: false, reason: reasonFor(error) };
    }
    const { sub } = payload;
    if (typeof sub !== 'string' || !SUBJECT.test(sub) || !Number.isSafeInteger(Number(sub))) {
      return { ok: false, reason: 'bad subject' };
    }
    return { ok: true, userId: Number(sub) };
  }
}

/** A short, stable reason for each way jose refuses a token. */
function reasonFor(error: unknown): string {
  if (error instanceof errors.JWTExpired) return error.claim === 'iat' ? 'too old' : 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `missing ${error.claim}`;
    switch (error.claim) {
      case 'iss':
        return 'wrong issuer';
      case 'aud':
        return 'wrong audience';
      case 'nbf':
        return 'not yet valid';
      case 'iat':
        return error.reason === 'check_failed' ? 'issued in the future' : 'invalid iat';
      default:
        return `invalid ${error.claim}`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed';
  if (error instanceof errors.JOSENotSupported) return 'not supported';
  // Not a case jose names: keep its message so the log shows what happened.
  const message = error instanceof Error ? error.message : String(error);
  return `unverifiable: ${message.slice(0, 120)}`;
}

/** The key file's content: base64url of SECRET_BYTES bytes (an editor's trailing newline is tolerated). */
function parseSecretFile(text: string): Uint8Array<ArrayBuffer> {
  const trimmed = text.trim();
  if (!SECRET_FILE_TEXT.test(trimmed)) {
    throw new Error(
      `expected the base64url text of ${SECRET_BYTES} bytes (43 characters), found ${trimmed.length} characters; ` +
        'delete the file to generate a new key (this revokes every token)',
    );
  }
  return Buffer.from(trimmed, 'base64url');
}
