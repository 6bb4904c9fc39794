/**
 * Password hashing: Argon2id (RFC 9106) with explicit parameters, stored as a
 * PHC string (`$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>`). Each call holds
 * 64 MiB for ~0.1–0.3 s, so calls go through a semaphore: at most 2 at once,
 * a bounded queue behind them, and BusyError beyond it. A burst of password
 * attempts costs refusals, not the server's memory.
 */
import { randomBytes } from 'node:crypto';
import { hash, parseOptions, verify, type Algorithm, type Options, type Version } from '@node-rs/argon2';
import { MAX_PASSWORD_LENGTH } from '../../shared/control/protocol.ts';
import { Semaphore } from '../util/semaphore.ts';

/** The hashing policy. Changing it changes new hashes only; old ones still verify (within VERIFY_LIMITS). */
export const ARGON2_PARAMS = Object.freeze({
  /** KiB: 64 MiB. */
  memoryCost: 65_536,
  timeCost: 3,
  parallelism: 1,
  outputLen: 32,
  saltBytes: 16,
});

/**
 * A stored hash names its own cost; one asking for more than this is refused
 * without running it (a corrupt or hostile row must not claim gigabytes).
 */
export const VERIFY_LIMITS = Object.freeze({
  maxMemoryCost: 4 * ARGON2_PARAMS.memoryCost,
  maxTimeCost: 10,
  maxParallelism: 4,
  minSaltLen: 8,
  minOutputLen: 16,
  maxOutputLen: 64,
  /** Characters in the PHC string. */
  maxEncodedLength: 256,
});

// @node-rs/argon2 declares these as `const enum`s, which type stripping cannot read; the values are its documented ones.
const ARGON2ID = 2 as Algorithm;
const V0x13 = 1 as Version;

export interface PasswordHasherOptions {
  /** Hashes computed at once (default 2). */
  concurrency?: number;
  /** Hashes allowed to wait for a slot (default 32). */
  maxQueue?: number;
  /** Replaces the semaphore built from the two options above (tests watch it). */
  semaphore?: Semaphore;
}

export class PasswordHasher {
  readonly #gate: Semaphore;

  constructor(options: PasswordHasherOptions = {}) {
    this.#gate = options.semaphore ?? new Semaphore({ limit: options.concurrency ?? 2, maxQueue: options.maxQueue ?? 32 });
  }

  /** Hashes running now and waiting for a slot. */
  get load(): { active: number; queued: number } {
    return { active: this.#gate.active, queued: this.#gate.queued };
  }

  /**
   * A new PHC string for `password` (1–MAX_PASSWORD_LENGTH characters, hashed
   * after Unicode NFC normalisation). TypeError for a bad password, BusyError
   * when the queue is full.
   */
  async hash(password: string): Promise<string> {
    if (typeof password !== 'string' || password.length < 1 || password.length > MAX_PASSWORD_LENGTH) {
      throw new TypeError(`a password is 1–${MAX_PASSWORD_LENGTH} characters`);
    }
    const options: Options = {
      algorithm: ARGON2ID,
      version: V0x13,
      memoryCost: ARGON2_PARAMS.memoryCost,
      timeCost: ARGON2_PARAMS.timeCost,
      parallelism: ARGON2_PARAMS.parallelism,
      outputLen: ARGON2_PARAMS.outputLen,
      salt: randomBytes(ARGON2_PARAMS.saltBytes),
    };
    return this.#gate.run(() => hash(password.normalize('NFC'), options));
  }

  /**
   * Whether `password` matches `phc`. False for a mismatch and for a malformed,
   * non-Argon2id or over-cost hash or non-string input: never throws for bad
   * input. Rejects with BusyError only when the queue is full.
   */
  async verify(phc: string, password: string): Promise<boolean> {
    if (typeof phc !== 'string' || typeof password !== 'string') return false;
    if (password.length > MAX_PASSWORD_LENGTH || !acceptable(phc)) return false;
    // `acceptable` has vetted the hash, so a throw here is a real failure (memory, say): it goes to
    // the caller as an error, not to the user as a wrong password.
    return this.#gate.run(() => verify(phc, password.normalize('NFC')));
  }
}

/** Checks a PHC string's shape and cost before any memory is spent on it. */
function acceptable(phc: string): boolean {
  if (phc.length > VERIFY_LIMITS.maxEncodedLength || !phc.startsWith('$argon2id$v=19$')) return false;
  let p;
  try {
    p = parseOptions(phc);
  } catch {
    return false;
  }
  return (
    p.algorithm === ARGON2ID &&
    p.version === V0x13 &&
    p.memoryCost <= VERIFY_LIMITS.maxMemoryCost &&
    p.timeCost <= VERIFY_LIMITS.maxTimeCost &&
    p.parallelism <= VERIFY_LIMITS.maxParallelism &&
    p.saltLen >= VERIFY_LIMITS.minSaltLen &&
    p.outputLen >= VERIFY_LIMITS.minOutputLen &&
    p.outputLen <= VERIFY_LIMITS.maxOutputLen
  );
}

/** The process-wide hasher: every password check on this server shares its slots. */
export const passwordHasher = new PasswordHasher();

export function hashPassword(password: string): Promise<string> {
  return passwordHasher.hash(password);
}

export function verifyPassword(phc: string, password: string): Promise<boolean> {
  return passwordHasher.verify(phc, password);
}
