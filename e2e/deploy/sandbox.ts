/**
 * Sandboxes for deploy/install.sh and update.sh: a temporary root
 * (VOICEAPP_ROOT) that stands for `/`, the stand-ins of e2e/deploy/standins
 * first on PATH with their state outside that root, and helpers to run the
 * scripts, photograph the root, ask the installed server for /health and stop
 * what the systemctl stand-in started (by process group, even after a failure).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STANDINS = path.join(REPO_ROOT, 'e2e', 'deploy', 'standins');

export interface Sandbox {
  /** Holds root/, state/ and tmp/. */
  readonly dir: string;
  /** What the scripts see as `/` (VOICEAPP_ROOT). */
  readonly root: string;
  /** The stand-ins' state: systemctl.log, useradd.log, passwd, group, enabled/, <unit>.pid … */
  readonly state: string;
  /** TMPDIR of the scripts: must be empty after every run. */
  readonly tmp: string;
  /** TCP port the installed server is to listen on (127.0.0.1). */
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const sandboxes = new Set<Sandbox>();

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A new sandbox; `systemd: false` leaves out /run/systemd/system (systemd not PID 1). */
export async function makeSandbox(options: { readonly systemd?: boolean } = {}): Promise<Sandbox> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'voice-deploy-'));
  // The service runs as the unit's User= (the systemctl stand-in uses setpriv): it must reach into the root.
  await chmod(dir, 0o755);
  const port = await freePort();
  const sandbox: Sandbox = { dir, root: path.join(dir, 'root'), state: path.join(dir, 'state'), tmp: path.join(dir, 'tmp'), port, url: `http://127.0.0.1:${port}` };
  await mkdir(sandbox.root);
  await mkdir(sandbox.state);
  await mkdir(sandbox.tmp);
  if (options.systemd !== false) await mkdir(path.join(sandbox.root, 'run', 'systemd', 'system'), { recursive: true });
  sandboxes.add(sandbox);
  return sandbox;
}

/** The scripts' whole environment: nothing from the test runner's (no VOICE_* leaks in). */
export function scriptEnv(sandbox: Sandbox, extra: Record<string, string> = {}, pathFirst: readonly string[] = []): Record<string, string> {
  return {
    PATH: [...pathFirst, STANDINS, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
    HOME: sandbox.dir,
    LANG: 'C.UTF-8',
    TMPDIR: sandbox.tmp,
    VOICEAPP_ROOT: sandbox.root,
    STANDIN_STATE: sandbox.state,
    VOICEAPP_HEALTH_TIMEOUT: '60',
    ...extra,
  };
}

export interface RunOptions {
  /** SIGKILL after this long (default 150 s). */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly uid?: number;
  readonly gid?: number;
}

/** Runs a command with exactly `env`; resolves to its exit code (null when killed) and output, never rejects on a failure exit. */
export function run(command: string, args: readonly string[], env: Record<string, string>, options: RunOptions = {}): Promise<RunResult> {
  const { timeoutMs = 150_000, cwd = REPO_ROOT, uid, gid } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(uid === undefined ? {} : { uid }), ...(gid === undefined ? {} : { gid }) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** For assertion messages: what a script said. */
export function said(r: RunResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

export interface Entry {
  readonly type: 'file' | 'dir' | 'link' | 'other';
  readonly mode: string;
  readonly size: number;
  readonly mtimeNs: string;
  readonly owner: string;
  readonly target?: string;
}

/** Every path under root with type, mode, size, mtime (ns), owner and link target. */
export async function snapshot(root: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const walk = async (rel: string): Promise<void> => {
    const full = path.join(root, rel);
    const st = await lstat(full, { bigint: true });
    const type = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    const entry: Entry = {
      type,
      mode: (Number(st.mode) & 0o7777).toString(8),
      size: type === 'dir' ? 0 : Number(st.size),
      mtimeNs: st.mtimeNs.toString(),
      owner: `${st.uid}:${st.gid}`,
      ...(type === 'link' ? { target: await readlink(full) } : {}),
    };
    out.set(rel === '' ? '/' : rel, entry);
    if (type === 'dir') for (const name of (await readdir(full)).sort()) await walk(rel === '' ? name : `${rel}/${name}`);
  };
  await walk('');
  return out;
}

/** Paths whose entries differ between two snapshots (added, removed or changed). */
export function differences(a: Map<string, Entry>, b: Map<string, Entry>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  const out: string[] = [];
  for (const k of [...keys].sort()) {
    const x = a.get(k);
    const y = b.get(k);
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${k}: ${JSON.stringify(x)} -> ${JSON.stringify(y)}`);
  }
  return out;
}

/** Lines the systemctl stand-in logged, from line `from` on. */
export async function systemctlCalls(sandbox: Sandbox, from = 0): Promise<string[]> {
  const file = path.join(sandbox.state, 'systemctl.log');
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '').slice(from);
}

export interface Health {
  readonly status: number;
  readonly body: { ok?: boolean; version?: string };
}

/** GET <base>/health, e.g. health(sandbox.url). */
export async function health(base: string): Promise<Health> {
  const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as Health['body'] };
}

/** The session id (= process group) of the running voice_app.service, or null. */
export async function servicePid(sandbox: Sandbox): Promise<number | null> {
  const file = path.join(sandbox.state, 'voice_app.service.pid');
  if (!existsSync(file)) return null;
  const pid = Number((await readFile(file, 'utf8')).trim());
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

/** The live processes in a session (via /proc): their executable and real uid, e.g. the node that serves. */
export async function sessionProcesses(sid: number): Promise<Array<{ exe: string; uid: number }>> {
  const out: Array<{ exe: string; uid: number }> = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // Fields after the command (which may hold spaces): state ppid pgrp session …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) !== sid || fields[0] === 'Z') continue;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${name}/status`, 'utf8'))?.[1]);
      out.push({ exe: await readlink(`/proc/${name}/exe`), uid });
    } catch {
      // The process went away meanwhile.
    }
  }
  return out;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the server the stand-in started (SIGTERM to its process group, then SIGKILL). */
export async function stopService(sandbox: Sandbox): Promise<void> {
  const pid = await servicePid(sandbox);
  if (pid === null || !groupAlive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && (await sessionProcesses(pid)).length > 0) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
}

/** Stops every sandbox's server and removes the sandboxes. */
export async function disposeSandboxes(): Promise<void> {
  for (const sandbox of [...sandboxes]) await disposeSandbox(sandbox);
}

export async function disposeSandbox(sandbox: Sandbox): Promise<void> {
  await stopService(sandbox);
  await rm(sandbox.dir, { recursive: true, force: true });
  sandboxes.delete(sandbox);
}
