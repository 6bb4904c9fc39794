/**
 * A voice-app server in its own process, as an operator runs it: started by
 * any command (the checkout's server/main.ts, a release's bin/voice-app …),
 * found listening through its log line, stopped with SIGTERM. Every process
 * started here is killed by `killServerProcesses()` (call it in `after`).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { withTimeout } from './wait.ts';

export interface ServerProcess {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** SIGTERM; resolves to the exit code (null when killed by a signal). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Resolves to the exit code once the process has exited by itself. */
  readonly exited: Promise<number | null>;
}

export interface StartOptions {
  readonly command: string;
  readonly args?: readonly string[];
  /** The whole environment (nothing is inherited but what is given). */
  readonly env: Record<string, string>;
  readonly cwd?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly timeoutMs?: number;
}

const LISTENING = /\[server\] listening .*"port":(\d+)/;
const started = new Set<ChildProcess>();

export function killServerProcesses(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

/** Starts the command and resolves once the server logs that it listens (VOICE_PORT=0 works). */
export async function startServerProcess(options: StartOptions): Promise<ServerProcess> {
  const spawnOptions: SpawnOptions = { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] };
  if (options.cwd !== undefined) spawnOptions.cwd = options.cwd;
  if (options.uid !== undefined) spawnOptions.uid = options.uid;
  if (options.gid !== undefined) spawnOptions.gid = options.gid;
  const child = spawn(options.command, options.args ?? [], spawnOptions);
  started.add(child);
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const spawnError = new Promise<never>((_, reject) => child.on('error', reject));
  const port = await withTimeout(
    Promise.race([
      spawnError,
      new Promise<number>((resolve, reject) => {
        const onData = (d: Buffer): void => {
          out += d.toString();
          const m = LISTENING.exec(out);
          if (m) resolve(Number(m[1]));
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        void exited.then((code) => reject(new Error(`the server exited (${code}) before listening:\n${out}`)));
      }),
    ]),
    options.timeoutMs ?? 30_000,
    `${options.command} to listen`,
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    output: () => out,
    exited,
    stop(timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return withTimeout(exited, timeoutMs, 'the server to exit on SIGTERM');
    },
  };
}
