/**
 * Wrong channel passwords, counted per client address (canonical; IPv6 per
 * /64, as for logins): 5 at once, then one more every 12 s. Per address, not
 * per session, so reconnecting does not buy a fresh allowance. Memory is
 * bounded: buckets that have refilled completely carry no information and are
 * dropped first when the table is full.
 */
import { TokenBucket } from '../../shared/util/token-bucket.ts';

export const PASSWORD_ATTEMPT_BURST = 5;
export const PASSWORD_ATTEMPTS_PER_SECOND = 5 / 60;

export class PasswordAttempts {
  readonly #byKey = new Map<string, TokenBucket>();
  readonly #maxKeys: number;

  constructor(maxKeys = 10_000) {
    if (!(maxKeys > 0)) throw new TypeError('maxKeys must be positive');
    this.#maxKeys = maxKeys;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Milliseconds until `key` may try again (0: now). */
  msUntil(key: string, nowMs: number): number {
    return this.#byKey.get(key)?.msUntil(nowMs) ?? 0;
  }

  /** Records a wrong password from `key`. */
  fail(key: string, nowMs: number): void {
    let bucket = this.#byKey.get(key);
    if (!bucket) {
      if (this.#byKey.size >= this.#maxKeys) this.#evict(nowMs);
      bucket = new TokenBucket(PASSWORD_ATTEMPTS_PER_SECOND, PASSWORD_ATTEMPT_BURST, nowMs);
      this.#byKey.set(key, bucket);
    }
    bucket.take(nowMs);
  }

  #evict(nowMs: number): void {
    for (const [k, b] of this.#byKey) if (b.msUntil(nowMs, PASSWORD_ATTEMPT_BURST) === 0) this.#byKey.delete(k);
    // All still cooling down: the oldest entry goes (Map keeps insertion order).
    if (this.#byKey.size >= this.#maxKeys) this.#byKey.delete(this.#byKey.keys().next().value!);
  }
}
