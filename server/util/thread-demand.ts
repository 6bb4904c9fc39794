/**
 * How much of the time the calling thread wanted a CPU: the time it ran plus
 * the time it waited, runnable, for one (Linux /proc/thread-self/schedstat:
 * "cpu ns, run_delay ns, timeslices"). Waiting includes a CPU limit's
 * throttling (CFS bandwidth control, a container's `--cpus`) and other
 * threads and processes on the same core — starvation that the event loop's
 * own utilisation does not see, because a throttled thread blocked in epoll
 * reads as idle. Null where the file does not exist (other platforms).
 */
import { readFileSync } from 'node:fs';

const FILE = '/proc/thread-self/schedstat';

/** Nanoseconds the calling thread has run and waited to run, or null. */
export function threadSchedNs(): number | null {
  try {
    const [run, wait] = readFileSync(FILE, 'latin1').split(' ');
    const ns = Number(run) + Number(wait);
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}

/**
 * A meter of the calling thread's CPU demand: each `sample()` returns the
 * share (0–1+) of the wall time since the previous one that the thread ran or
 * waited to run, or null where it cannot be read.
 */
export class ThreadDemand {
  readonly #now: () => number;
  readonly #read: () => number | null;
  #ns: number | null;
  #at: number;

  /** `now` in ms and `read` (threadSchedNs) are for tests. */
  constructor(now: () => number = () => performance.now(), read: () => number | null = threadSchedNs) {
    this.#now = now;
    this.#read = read;
    this.#ns = read();
    this.#at = now();
  }

  sample(): number | null {
    const before = this.#ns;
    if (before === null) return null; // not readable here: not asked again
    const ns = this.#read();
    const at = this.#now();
    const wallMs = at - this.#at;
    this.#ns = ns;
    this.#at = at;
    if (ns === null || wallMs <= 0) return null;
    return (ns - before) / 1e6 / wallMs;
  }
}
