/**
 * A counting semaphore with a bounded wait queue, for work that is expensive
 * in memory or CPU (Argon2 at 64 MiB a call). At most `limit` tasks run at
 * once; up to `maxQueue` more wait in arrival order; beyond that `run` rejects
 * with BusyError at once, so a burst costs a refusal instead of memory.
 */
import { BusyError } from './errors.ts';

export interface SemaphoreOptions {
  /** Tasks allowed to run at once (≥ 1). */
  limit: number;
  /** Tasks allowed to wait for a slot (≥ 0). */
  maxQueue: number;
}

export class Semaphore {
  readonly limit: number;
  readonly maxQueue: number;
  #active = 0;
  #peak = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(options: SemaphoreOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new TypeError(`limit must be a whole number ≥ 1, got ${options.limit}`);
    if (!Number.isInteger(options.maxQueue) || options.maxQueue < 0) throw new TypeError(`maxQueue must be a whole number ≥ 0, got ${options.maxQueue}`);
    this.limit = options.limit;
    this.maxQueue = options.maxQueue;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** The most tasks that ever ran at once (never above `limit`). */
  get peak(): number {
    return this.#peak;
  }

  /**
   * Runs `task` when a slot is free and settles with its outcome. Rejects with
   * BusyError, without calling `task`, when the queue is already full.
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) {
      if (this.#waiting.length >= this.maxQueue) {
        throw new BusyError(`busy: ${this.#active} running and ${this.#waiting.length} waiting`);
      }
      // The slot is handed over by #release (active is not decremented in between), so no newcomer can jump the queue.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    if (this.#active > this.#peak) this.#peak = this.#active;
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }
}
