/**
 * The calling thread's CPU time, and how much of the time it wanted a CPU:
 * the time it ran plus the time it waited, runnable, for one (Linux
 * /proc/thread-self/schedstat: "cpu ns, run_delay ns, timeslices"). Waiting
 * includes a CPU limit's throttling (CFS bandwidth control, a container's
 * `--cpus`) and other threads and processes on the same core — starvation
 * that the event loop's own utilisation does not see, because a throttled
 * thread blocked in epoll reads as idle. Null where it cannot be read.
 */
import { readFileSync } from 'node:fs';

const FILE = '/proc/thread-self/schedstat';

export interface SchedTimes {
  /** Nanoseconds the thread has run. */
  runNs: number;
  /** Nanoseconds it was runnable but waited for a CPU. */
  waitNs: number;
}

/** The calling thread's run and wait times, or null (no file, or a kernel without scheduler statistics). */
export function threadSched(): SchedTimes | null {
  try {
    const [run, wait] = readFileSync(FILE, 'latin1').split(' ');
    const runNs = Number(run);
    const waitNs = Number(wait);
    // A kernel built without scheduler statistics shows zeros: nothing to read there either.
    return Number.isFinite(runNs) && Number.isFinite(waitNs) && runNs > 0 ? { runNs, waitNs } : null;
  } catch {
    return null;
  }
}

/**
 * A meter of the calling thread's CPU demand: each `sample()` returns the
 * share (0–1+) of the wall time since the previous one that the thread ran or
 * waited to run, or null where it cannot be read; `ranMs` and `waitedMs` are
 * the thread's whole run and wait as of that read.
 */
export class ThreadDemand {
  readonly #now: () => number;
  readonly #read: () => SchedTimes | null;
  #last: SchedTimes | null;
  #at: number;

  /** `now` in ms and `read` (threadSched) are for tests. */
  constructor(now: () => number = () => performance.now(), read: () => SchedTimes | null = threadSched) {
    this.#now = now;
    this.#read = read;
    this.#last = read();
    this.#at = now();
  }

  sample(): number | null {
    const before = this.#last;
    if (before === null) return null; // not readable here: not asked again
    const next = this.#read();
    const at = this.#now();
    const wallMs = at - this.#at;
    this.#last = next;
    this.#at = at;
    if (next === null || wallMs <= 0) return null;
    return (next.runNs + next.waitNs - before.runNs - before.waitNs) / 1e6 / wallMs;
  }

  /** Milliseconds the thread has run since it started (its CPU time, as of the last read), or null. */
  get ranMs(): number | null {
    return this.#last === null ? null : this.#last.runNs / 1e6;
  }

  /** Milliseconds the thread has waited, runnable, for a CPU since it started (as of the last read), or null. */
  get waitedMs(): number | null {
    return this.#last === null ? null : this.#last.waitNs / 1e6;
  }
}

/**
 * The calling thread's CPU time in ms (user + system) where schedstat is
 * missing (ThreadDemand.ranMs has it otherwise), or null where Node cannot
 * tell (before 23.9).
 */
export function threadCpuMs(): number | null {
  if (typeof process.threadCpuUsage !== 'function') return null;
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}
