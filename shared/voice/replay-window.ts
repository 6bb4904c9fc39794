/**
 * Sliding anti-replay window over the last 64 sequences (RFC 4303 §3.4.3 style),
 * kept in two u32 words so that checking a packet allocates nothing.
 * Reordering inside the window is accepted; duplicates and anything older are not.
 */
export type ReplayVerdict = 'fresh' | 'duplicate' | 'too-old';

export const REPLAY_WINDOW_SIZE = 64;

export class ReplayWindow {
  #started = false;
  #top = 0;
  /** Bit i of lo: sequence top - i was seen (i < 32). */
  #lo = 0;
  /** Bit i of hi: sequence top - 32 - i was seen. */
  #hi = 0;

  /** Checks `seq` and, when fresh, records it. */
  accept(seq: number): ReplayVerdict {
    if (!this.#started) {
      this.#started = true;
      this.#top = seq;
      this.#lo = 1;
      this.#hi = 0;
      return 'fresh';
    }
    if (seq > this.#top) {
      const d = seq - this.#top;
      if (d >= REPLAY_WINDOW_SIZE) {
        this.#hi = 0;
        this.#lo = 1;
      } else if (d >= 32) {
        this.#hi = d === 32 ? this.#lo : (this.#lo << (d - 32)) >>> 0;
        this.#lo = 1;
      } else {
        this.#hi = ((this.#hi << d) | (this.#lo >>> (32 - d))) >>> 0;
        this.#lo = ((this.#lo << d) | 1) >>> 0;
      }
      this.#top = seq;
      return 'fresh';
    }
    const off = this.#top - seq;
    if (off >= REPLAY_WINDOW_SIZE) return 'too-old';
    if (off < 32) {
      const bit = (1 << off) >>> 0;
      if ((this.#lo & bit) !== 0) return 'duplicate';
      this.#lo = (this.#lo | bit) >>> 0;
    } else {
      const bit = (1 << (off - 32)) >>> 0;
      if ((this.#hi & bit) !== 0) return 'duplicate';
      this.#hi = (this.#hi | bit) >>> 0;
    }
    return 'fresh';
  }

  /** Highest sequence seen, or -1 before the first. */
  get highest(): number {
    return this.#started ? this.#top : -1;
  }
}
