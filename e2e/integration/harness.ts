/**
 * Test harness: a real server (real SQLite in a temp data dir, real werift) on
 * 127.0.0.1 with an OS-chosen port, and real Node clients (ws + libwebrtc).
 * Everything started here is stopped by `close()`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config.ts';
import { startServer, type RunningServer } from '../../server/app.ts';
import { createNodeVoiceSession, controlUrl } from '../../client/node/node-voice-session.ts';
import type { VoiceSession } from '../../client/net/voice-session.ts';

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  clients: VoiceSession[];
  /** Connects a client, waits for welcome and an open voice lane. */
  client(nickname: string, options?: { waitVoice?: boolean }): Promise<VoiceSession>;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'voice-app-test-'));
  const config = loadConfig({
    VOICE_HOST: '127.0.0.1',
    VOICE_PORT: '0',
    VOICE_DATA_DIR: dataDir,
    VOICE_LOG_LEVEL: 'error',
    ...env,
  });
  const server = await startServer(config);
  const clients: VoiceSession[] = [];
  return {
    server,
    dataDir,
    clients,
    async client(nickname, options = {}) {
      const s = createNodeVoiceSession({ url: controlUrl(server.url), nickname, pingIntervalMs: 1000 });
      clients.push(s);
      const open = new Promise<void>((resolve) => s.once('voice-open', resolve));
      await s.connect();
      if (options.waitVoice !== false) await withTimeout(open, 10_000, `${nickname}: voice lane open`);
      return s;
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns true. */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(10);
  }
}

/** Records every datagram a session receives. */
export function recordDatagrams(s: VoiceSession): Uint8Array[] {
  const got: Uint8Array[] = [];
  s.on('datagram', (d) => got.push(d.slice()));
  return got;
}

/** Joins and waits until the server confirms. */
export async function joinChannel(s: VoiceSession, channelId: number): Promise<void> {
  await withTimeout(s.joinChannel(channelId), 5000, `join ${channelId}`);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
