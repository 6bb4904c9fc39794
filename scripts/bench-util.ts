/** Shared pieces of the benchmark scripts: child servers pinned to a CPU, /proc readings, tables. */
import { execSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { HAVE_TASKSET, TASKSET } from '../server/util/taskset.ts';
import os from 'node:os';

export const CLK_TCK = 100;

/** user+system CPU seconds from a /proc …/stat file (a process's or one thread's). */
function statCpuSeconds(file: string): number {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** user+system CPU seconds of a process, from /proc. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}


/** Moves every thread of `pid` to `cpus` (taskset -a), when taskset exists. */
export function pin(pid: number, cpus: string): void {
  if (HAVE_TASKSET) execSync(`${TASKSET} -a -cp ${cpus} ${pid}`, { stdio: 'ignore' });
}

/** Spawns node with `args`, pinned to `cpus` when taskset exists; killed if the script is interrupted (onInterrupt). */
export function spawnPinnedNode(args: string[], cpus: string, options: SpawnOptions): ChildProcess {
  const child = HAVE_TASKSET ? spawn(TASKSET, ['-c', cpus, process.execPath, ...args], options) : spawn(process.execPath, args, options);
  const forget = onInterrupt(() => child.kill('SIGKILL'));
  child.once('exit', forget);
  return child;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const cleanups = new Set<() => void>();

function interrupted(signal: NodeJS.Signals): void {
  // Newest first: a CPU limit lets go of the server before the server is killed.
  for (const fn of [...cleanups].reverse()) {
    try {
      fn();
    } catch (error) {
      process.stderr.write(`cleanup after ${signal}: ${(error as Error).message}\n`);
    }
  }
  cleanups.clear();
  for (const s of SIGNALS) process.off(s, interrupted);
  process.kill(process.pid, signal); // no listener now: the signal takes its course
}

/**
 * Runs `fn` if the script gets SIGINT (Ctrl-C), SIGTERM or SIGHUP before the
 * returned function is called — what the script started (the server, bots'
 * hosts, busy loops, a cgroup) must not outlive it.
 */
export function onInterrupt(fn: () => void): () => void {
  if (cleanups.size === 0) for (const s of SIGNALS) process.on(s, interrupted);
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
    if (cleanups.size === 0) for (const s of SIGNALS) process.off(s, interrupted);
  };
}

/**
 * A CPU limit for a process, as a container runtime sets one (CFS bandwidth
 * control): `share` of one core per `periodUs`. A new cgroup under the cpu
 * controller (v2 `cpu.max`, or v1 `cpu.cfs_quota_us`); `release()` moves the
 * process back and removes the group. Needs root and a writable cgroup
 * filesystem; throws saying so otherwise.
 */
export function limitCpu(pid: number, share: number, periodUs: number): { release(): void } {
  if (!(share > 0 && share <= 1)) throw new RangeError(`CPU share ${share}: (0, 1]`);
  const quota = Math.round(share * periodUs);
  // The kernel refuses a quota under 1 ms (and a period under 1 ms).
  if (quota < 1000) throw new RangeError(`--cpu-share ${share} of a ${periodUs / 1000} ms period is under the kernel's 1 ms minimum quota: use a longer --cpu-period-ms`);
  const v2 = '/sys/fs/cgroup';
  const v1 = '/sys/fs/cgroup/cpu';
  const name = `voice-bench-${process.pid}`;
  // v2: the cpu controller must be enabled for the root's children (subtree_control), not only available.
  const v2cpu = existsSync(`${v2}/cgroup.subtree_control`) && readFileSync(`${v2}/cgroup.subtree_control`, 'utf8').split(/\s+/).includes('cpu');
  const parent = v2cpu ? v2 : existsSync(`${v1}/cpu.cfs_quota_us`) ? v1 : null;
  if (parent === null) throw new Error('--cpu-share needs a cgroup cpu controller (v2 with cpu in the root\'s subtree_control, or v1); use --hogs instead');
  const dir = `${parent}/${name}`;
  try {
    mkdirSync(dir);
  } catch (error) {
    throw new Error(`--cpu-share needs root and a writable ${parent} (${(error as Error).message}); use --hogs instead`);
  }
  try {
    if (v2cpu) {
      writeFileSync(`${dir}/cpu.max`, `${quota} ${periodUs}`);
    } else {
      writeFileSync(`${dir}/cpu.cfs_period_us`, String(periodUs));
      writeFileSync(`${dir}/cpu.cfs_quota_us`, String(quota));
    }
    writeFileSync(`${dir}/cgroup.procs`, String(pid));
  } catch (error) {
    rmdirSync(dir);
    throw new Error(`could not limit the server's CPU in ${dir}: ${(error as Error).message}`);
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    forget();
    try {
      writeFileSync(`${parent}/cgroup.procs`, String(pid));
    } catch {
      // the process has exited (a cgroup with no process can go)
    }
    try {
      rmdirSync(dir);
    } catch (error) {
      process.stderr.write(`left ${dir} behind: ${(error as Error).message}\n`);
    }
  };
  // Ctrl-C (or a kill) mid-run: the group goes before the script does.
  const forget = onInterrupt(release);
  return { release };
}

/** user+system CPU seconds of every thread of `pid`, summed by thread name. */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(name, (out.get(name) ?? 0) + statCpuSeconds(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Starts `args` with node, pinned to `cpus` when taskset exists; resolves once `ready` matches stderr. */
export function startPinned(args: string[], env: Record<string, string>, cpus: string, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; pid: number }> {
  const child = spawnPinnedNode(args, cpus, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = ready.exec(err);
      if (m) resolve({ child, match: m, pid: child.pid! });
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before ready:\n${err.slice(-2000)}`)));
  });
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

export function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(width[i]!)).join(' | ') + ' |';
  return [line(cols), '|' + width.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
