/**
 * Counts failed password attempts in a sliding window, with time passed in.
 * After `maxFailures` failures within `windowMs`, further attempts wait until
 * the oldest of them leaves the window: at most `maxFailures` guesses per
 * window, however they are spaced. Successes do not reset it (knowing one
 * channel's password must not buy more guesses at another's).
 */

/** Wrong passwords a session may send within PASSWORD_FAILURE_WINDOW_MS before it has to wait. */
export const PASSWORD_FAILURES_ALLOWED = 5;
export const PASSWORD_FAILURE_WINDOW_MS = 60_000;

export class AttemptThrottle {
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Times of the recent failures, oldest first; never more than maxFailures. */
  readonly #failures: number[] = [];

  constructor(maxFailures = PASSWORD_FAILURES_ALLOWED, windowMs = PASSWORD_FAILURE_WINDOW_MS) {
    if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new TypeError(`maxFailures must be a whole number ≥ 1, got ${maxFailures}`);
    if (!(windowMs > 0)) throw new TypeError(`windowMs must be positive, got ${windowMs}`);
    this.maxFailures = maxFailures;
    this.windowMs = windowMs;
  }

  /** Milliseconds until another attempt is allowed; 0 means now. */
  waitMs(nowMs: number): number {
    this.#forget(nowMs);
    if (this.#failures.length < this.maxFailures) return 0;
    return this.#failures[0]! + this.windowMs - nowMs;
  }

  /** Records a failed attempt at `nowMs`. */
  fail(nowMs: number): void {
    this.#forget(nowMs);
    this.#failures.push(nowMs);
    if (this.#failures.length > this.maxFailures) this.#failures.shift();
  }

  #forget(nowMs: number): void {
    while (this.#failures.length > 0 && this.#failures[0]! + this.windowMs <= nowMs) this.#failures.shift();
  }
}
