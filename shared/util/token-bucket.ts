/**
 * Token bucket with time passed in, so rate limits are testable without clocks.
 * Starts full. `take` allocates nothing.
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #lastMs: number;

  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    if (!(ratePerSecond > 0) || !(burst > 0)) throw new TypeError('rate and burst must be positive');
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#lastMs = nowMs;
  }

  /** Takes `cost` tokens if available at `nowMs`; returns whether it could. */
  take(nowMs: number, cost = 1): boolean {
    this.#refill(nowMs);
    if (this.#tokens >= cost) {
      this.#tokens -= cost;
      return true;
    }
    return false;
  }

  /** Milliseconds from `nowMs` until `cost` tokens are there (0 if they are now); takes nothing. */
  msUntil(nowMs: number, cost = 1): number {
    this.#refill(nowMs);
    return this.#tokens >= cost ? 0 : ((cost - this.#tokens) * 1000) / this.ratePerSecond;
  }

  #refill(nowMs: number): void {
    const elapsed = nowMs - this.#lastMs;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
      this.#lastMs = nowMs;
    }
  }
}
