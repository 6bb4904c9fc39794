/**
 * Failed-login throttling, Mumble's default: `maxFailures` failures within a
 * sliding `windowMs` block the key for `blockMs`. Keys are opaque strings (the
 * caller throttles both 'addr:203.0.113.7' and 'user:alice'). Time is an
 * argument; nothing here owns a timer.
 *
 * Memory is bounded: at most `maxKeys` keys. When a new key arrives and the
 * table is full, every entry that no longer holds state (no block in force, no
 * failure inside the window) is dropped; if none is, the least recently
 * touched entry that is not blocked goes, and only if every entry is blocked,
 * the least recently touched of those. Preferring to keep blocks means a flood
 * of new keys cannot cheaply lift a block already earned.
 */

export interface LoginThrottleOptions {
  /** Failures within the window that start a block. */
  maxFailures: number;
  /** How long a failure counts, in ms (sliding). */
  windowMs: number;
  /** How long a block lasts, in ms. */
  blockMs: number;
  /** Keys remembered at most. */
  maxKeys: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = Object.freeze({
  maxFailures: 10,
  windowMs: 120_000,
  blockMs: 300_000,
  maxKeys: 10_000,
});

interface Entry {
  /** Times of the failures still inside the window, oldest first; fewer than maxFailures. */
  failures: number[];
  /** The block ends at this time (ms); 0 when never blocked. */
  blockedUntil: number;
  /** Attempts begun and not yet ended (their password is being checked). */
  pending: number;
}

/** How long a key must wait when its attempts in flight already fill its allowance. */
export const PENDING_WAIT_MS = 1000;

export class LoginThrottle {
  readonly #options: LoginThrottleOptions;
  /** In order of last touch (fail or succeed), least recent first. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    const merged = { ...DEFAULT_LOGIN_THROTTLE, ...options };
    for (const name of ['maxFailures', 'maxKeys'] as const) {
      if (!Number.isSafeInteger(merged[name]) || merged[name] <= 0) throw new TypeError(`${name} must be a positive integer`);
    }
    for (const name of ['windowMs', 'blockMs'] as const) {
      if (!Number.isFinite(merged[name]) || merged[name] <= 0) throw new TypeError(`${name} must be a positive number`);
    }
    this.#options = Object.freeze(merged);
  }

  /** Keys held now (entries whose state has lapsed may still count until they are swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** Milliseconds until `key` may try again; 0 when it may now. */
  blockedFor(key: string, nowMs: number): number {
    checkArgs(key, nowMs);
    const entry = this.#entries.get(key);
    if (entry === undefined) return 0;
    if (entry.blockedUntil > nowMs) return entry.blockedUntil - nowMs;
    if (this.#isIdle(entry, nowMs)) this.#entries.delete(key);
    return 0;
  }

  /**
   * Starts an attempt for `key` (before the slow password check): returns
   * blockedFor if the key is blocked, PENDING_WAIT_MS if the failures in the
   * window plus the attempts still in flight already reach maxFailures (a
   * burst of parallel guesses must not get a check each), else 0 — and then
   * the caller must call `end` once the check is over.
   */
  begin(key: string, nowMs: number): number {
    checkArgs(key, nowMs);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      if (this.#entries.size >= this.#options.maxKeys) this.#makeRoom(nowMs);
      entry = { failures: [], blockedUntil: 0, pending: 0 };
      this.#entries.set(key, entry);
    }
    if (entry.blockedUntil > nowMs) return entry.blockedUntil - nowMs;
    dropBefore(entry.failures, nowMs - this.#options.windowMs);
    if (entry.failures.length + entry.pending >= this.#options.maxFailures) return PENDING_WAIT_MS;
    entry.pending++;
    return 0;
  }

  /** Ends an attempt `begin` let through: a failure is recorded as by `fail`. */
  end(key: string, failed: boolean, nowMs: number): void {
    checkArgs(key, nowMs);
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.pending > 0) entry.pending--;
    if (failed) this.fail(key, nowMs);
  }

  /**
   * Records a failed login for `key`; returns blockedFor after it, so the
   * failure that reaches maxFailures within the window returns blockMs.
   *
   * A failure while the key is blocked is not recorded and does not extend
   * the block. The caller should not even check a password then, but if it
   * does, extending would let anyone who knows a user name keep that user
   * locked out for ever by failing once every few minutes; a fixed block caps
   * what an attacker can do to the real user at one block per maxFailures
   * guesses.
   */
  fail(key: string, nowMs: number): number {
    checkArgs(key, nowMs);
    let entry = this.#entries.get(key);
    if (entry !== undefined) {
      if (entry.blockedUntil > nowMs) return entry.blockedUntil - nowMs;
      this.#entries.delete(key); // re-inserted below: most recently touched
    } else {
      if (this.#entries.size >= this.#options.maxKeys) this.#makeRoom(nowMs);
      entry = { failures: [], blockedUntil: 0, pending: 0 };
    }
    this.#entries.set(key, entry);
    dropBefore(entry.failures, nowMs - this.#options.windowMs);
    entry.failures.push(nowMs);
    if (entry.failures.length < this.#options.maxFailures) return 0;
    entry.failures.length = 0; // after the block, counting starts again
    entry.blockedUntil = nowMs + this.#options.blockMs;
    return this.#options.blockMs;
  }

  /**
   * A successful login: forgets `key`'s failures. A block in force stays until
   * it ends — success cannot happen while blocked unless the caller skipped
   * the check, and then it must not be the way out.
   */
  succeed(key: string): void {
    if (typeof key !== 'string') throw new TypeError('key must be a string');
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    if (entry.blockedUntil === 0 && entry.pending === 0) {
      this.#entries.delete(key);
      return;
    }
    entry.failures.length = 0;
  }

  /** Neither blocked, nor checking an attempt, nor holding a failure that still counts. */
  #isIdle(entry: Entry, nowMs: number): boolean {
    if (entry.blockedUntil > nowMs || entry.pending > 0) return false;
    const newest = entry.failures.at(-1);
    return newest === undefined || newest <= nowMs - this.#options.windowMs;
  }

  /**
   * Frees at least one slot. One pass over the table (at most maxKeys
   * entries); it runs only when a new key meets a full table, and a sweep that
   * finds idle entries frees many slots at once.
   */
  #makeRoom(nowMs: number): void {
    let oldestUnblocked: string | undefined;
    let freed = 0;
    for (const [key, entry] of this.#entries) {
      if (this.#isIdle(entry, nowMs)) {
        this.#entries.delete(key); // deleting the current key while iterating a Map is safe
        freed++;
      } else if (oldestUnblocked === undefined && entry.blockedUntil <= nowMs) {
        oldestUnblocked = key;
      }
    }
    if (freed > 0) return;
    const victim = oldestUnblocked ?? this.#entries.keys().next().value;
    if (victim !== undefined) this.#entries.delete(victim);
  }
}

/** Removes the leading times ≤ `cutoff`: a failure stops counting windowMs after it happened. */
function dropBefore(times: number[], cutoff: number): void {
  let n = 0;
  while (n < times.length && times[n]! <= cutoff) n++;
  if (n > 0) times.splice(0, n);
}

function checkArgs(key: string, nowMs: number): void {
  if (typeof key !== 'string') throw new TypeError('key must be a string');
  if (!Number.isFinite(nowMs)) throw new TypeError('nowMs must be a finite number');
}
