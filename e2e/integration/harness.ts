/**
 * Test harness: a real server (real SQLite in a temp data dir, real werift) on
 * 127.0.0.1 with an OS-chosen port, and real Node clients (ws + libwebrtc).
 * Everything started here is stopped by `close()`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config.ts';
import { startServer, type RunningServer, type StartOptions } from '../../server/app.ts';
import { createNodeVoiceSession, controlUrl } from '../../client/node/node-voice-session.ts';
import type { VoiceSession } from '../../client/net/voice-session.ts';
import type { Session } from '../../server/control/session.ts';
import { sleep, withTimeout, waitFor } from '../wait.ts';
import type { Account, Ban, Channel, ErrorBody, LoginResponse, Role, Session as SessionView, User } from '../../shared/admin/api.ts';

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  clients: VoiceSession[];
  /** Connects a client (connectClient): waits for welcome and, unless `waitVoice: false`, an open voice lane. */
  client(nickname: string, options?: ClientOptions): Promise<VoiceSession>;
  close(): Promise<void>;
}

/** A server on a new temp data dir; `close()` stops it and removes the dir. */
export async function startTestServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  const dataDir = await makeTempDir();
  const t = await startTestServerIn(dataDir, env, options);
  return {
    ...t,
    async close() {
      await t.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The server's live session with this nickname, if there is one. */
export function sessionByNickname(t: TestServer, nickname: string): Session | undefined {
  for (const s of t.server.sessions.sessions()) if (s.nickname === nickname) return s;
  return undefined;
}

/** The session token of `nickname` (throws when the server has no session by that name). */
export function tokenOf(t: TestServer, nickname: string): number {
  const s = sessionByNickname(t, nickname);
  if (!s) throw new Error(`the server has no session named ${nickname}`);
  return s.token;
}

export { sleep, withTimeout, waitFor };

/** Records every datagram a session receives. */
export function recordDatagrams(s: VoiceSession): Uint8Array[] {
  const got: Uint8Array[] = [];
  s.on('datagram', (d) => got.push(d.slice()));
  return got;
}

/**
 * Joins and waits until the server confirms, and — when the move took the
 * session to another relay shard (`rtc-renew` comes before `joined`, so the
 * lane is already down then) — until the voice lane is open again.
 */
export async function joinChannel(s: VoiceSession, channelId: number): Promise<void> {
  const wasOpen = s.voiceOpen;
  await withTimeout(s.joinChannel(channelId), 5000, `join ${channelId}`);
  if (wasOpen && !s.voiceOpen) await withTimeout(new Promise<void>((resolve) => s.once('voice-open', resolve)), 10_000, `voice lane open again after the move to ${channelId}`);
}

/**
 * Until `s`'s voice lane is open at both ends: the client sees its channel open
 * before the main thread hears it from the relay shard that holds the peer.
 */
export async function waitVoiceOpen(t: TestServer, s: VoiceSession, ms = 10_000): Promise<void> {
  await waitFor(() => s.voiceOpen && t.server.sessions.get(s.sessionToken)?.peer?.isOpen === true, ms, `voice lane of ${s.sessionToken} open at both ends`);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

// ---- accounts, bans and the admin API (issue 5) ---------------------------------------------
// Imports for the helpers below (import declarations are hoisted; kept here so the section above stays as it was).
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import SQLite from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION, parseServerMessage, type ServerMessage, type ServerMessageOf, type ServerMessageType } from '../../shared/control/protocol.ts';

/** The first-run admin's password and the token key the account tests start their servers with. */
export const TEST_ADMIN_PASSWORD = 'admin password for tests';
export const TEST_TOKEN_SECRET = 'integration-test-token-secret-0123456789abcdef';

/** Server env for the account tests: a known admin password and token key, plus `extra`. */
export function accountEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { VOICE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, VOICE_TOKEN_SECRET: TEST_TOKEN_SECRET, ...extra };
}

/** A new empty temp dir; the caller removes it (for servers restarted on the same data dir). */
export function makeTempDir(prefix = 'voice-app-test-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** Temp dirs made with one prefix and removed together (call `removeAll` in `after`). */
export function tempDirs(prefix: string): { make(): Promise<string>; removeAll(): Promise<void> } {
  const made: string[] = [];
  return {
    async make() {
      const d = await makeTempDir(prefix);
      made.push(d);
      return d;
    },
    async removeAll() {
      for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
}

/**
 * A server on an existing data dir, for restarts: like startTestServer, but
 * `close()` leaves the directory for the next start (the caller removes it).
 */
export async function startTestServerIn(dataDir: string, env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  const config = loadConfig({ VOICE_HOST: '127.0.0.1', VOICE_PORT: '0', VOICE_DATA_DIR: dataDir, VOICE_LOG_LEVEL: 'error', ...env });
  const server = await startServer(config, options);
  const t: TestServer = {
    server,
    dataDir,
    clients: [],
    client: (nickname, options) => connectClient(t, nickname, options),
    async close() {
      for (const c of t.clients) c.close();
      await server.close();
    },
  };
  return t;
}

export interface ClientOptions {
  /** Account password (log in, or register with `register`). */
  password?: string;
  register?: boolean;
  /**
   * Wait for the voice lane too, open on both sides (default true: a session closed while its peer
   * connection is still negotiating keeps libwebrtc, and so the test process, alive for ~30 s).
   */
  waitVoice?: boolean;
}

/**
 * A NodeVoiceSession on `t` (closed by `t.close()`). Resolves on welcome;
 * rejects with the server's message if the hello is refused (then
 * `session.denial` says why: see `tryConnect`).
 */
export async function connectClient(t: TestServer, nickname: string, options: ClientOptions = {}): Promise<VoiceSession> {
  const { session, error } = await tryConnect(t, nickname, options);
  if (error) throw error;
  return session;
}

/** Like connectClient, but hands back the refused session (with its `denial`) instead of throwing. */
export async function tryConnect(t: TestServer, nickname: string, options: ClientOptions = {}): Promise<{ session: VoiceSession; error: Error | null }> {
  const s = createNodeVoiceSession({
    url: controlUrl(t.server.url),
    nickname,
    pingIntervalMs: 1000,
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.register ? { register: true } : {}),
  });
  t.clients.push(s);
  try {
    await withTimeout(s.connect(), 15_000, `${nickname}: welcome`);
  } catch (error) {
    return { session: s, error: error as Error };
  }
  if (options.waitVoice !== false) await waitVoiceOpen(t, s);
  return { session: s, error: null };
}

/** An HTTP answer with its body parsed as JSON when it is JSON (`T` is what the caller expects it to hold). */
export interface ApiResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the text when it is not JSON, or null when empty. */
  body: T;
  text: string;
}

/** The admin API's wire shapes (shared/admin/api.ts), under the names the tests use. */
export type { Role };
export type ApiError = ErrorBody;
/** `/api/me` and login carry a User; `/api/users` an Account (with its times). */
export type ApiUser = User & Partial<Pick<Account, 'createdAt' | 'lastLoginAt'>>;
export type ApiChannel = Channel;
export type ApiBan = Ban;
export type ApiSession = SessionView;
export type ApiLogin = LoginResponse;

export interface ApiRequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as JSON (with `Content-Type: application/json`). */
  json?: unknown;
  /** Sent as it is, with `contentType`. */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Source address of the request (any 127.x.y.z works on loopback): to be another client. */
  localAddress?: string;
}

/** One request to the admin API with node:http (independent of the server's code). */
export function apiRequest<T = unknown>(baseUrl: string, method: string, urlPath: string, options: ApiRequestOptions = {}): Promise<ApiResponse<T>> {
  const u = new URL(urlPath, baseUrl);
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let payload: Buffer | null = null;
  if (options.json !== undefined) {
    payload = Buffer.from(JSON.stringify(options.json), 'utf8');
    headers['Content-Type'] = 'application/json';
  } else if (options.raw !== undefined) {
    payload = Buffer.isBuffer(options.raw) ? options.raw : Buffer.from(options.raw, 'utf8');
    if (options.contentType) headers['Content-Type'] = options.contentType;
  }
  if (payload) headers['Content-Length'] = String(payload.length);
  if (options.token !== undefined) headers['Authorization'] = `Bearer ${options.token}`;
  return withTimeout(
    new Promise<ApiResponse<T>>((resolve, reject) => {
      const req = httpRequest(
        { host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, ...(options.localAddress ? { localAddress: options.localAddress } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text === '' ? null : text;
            if (text !== '' && /json/.test(String(res.headers['content-type'] ?? ''))) {
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload ?? undefined);
    }),
    30_000,
    `${method} ${urlPath}`,
  );
}

/** Logs in through POST /api/auth/login and returns the token (asserts a 200). */
export async function apiLogin(baseUrl: string, name: string, password: string, localAddress?: string): Promise<ApiLogin> {
  const r = await apiRequest<ApiLogin>(baseUrl, 'POST', '/api/auth/login', { json: { name, password }, ...(localAddress ? { localAddress } : {}) });
  if (r.status !== 200) throw new Error(`login ${name}: ${r.status} ${r.text}`);
  return r.body;
}

/** The admin API bound to one server and (optionally) one token. */
export function apiClient(baseUrl: string, token?: string) {
  return <T = unknown>(method: string, urlPath: string, options: ApiRequestOptions = {}): Promise<ApiResponse<T>> =>
    apiRequest<T>(baseUrl, method, urlPath, { ...(token === undefined ? {} : { token }), ...options });
}

/** A bare control-lane client that keeps every message it gets and how its socket closed. */
export interface RawControlClient {
  ws: WebSocket;
  messages: ServerMessage[];
  /** The close code and reason, once the socket has closed. */
  closed: Promise<{ code: number; reason: string }>;
  /**
   * The first message of `type` (accepted by `match`) not yet taken by an
   * earlier call, whether it has arrived already or arrives within `ms`.
   */
  take<T extends ServerMessageType>(type: T, match?: (m: ServerMessageOf<T>) => boolean, ms?: number): Promise<ServerMessageOf<T>>;
  send(message: unknown): void;
  /** Sends `hello` and waits for welcome or access-denied. */
  hello(nickname: string, extra?: { password?: string; register?: boolean }): Promise<ServerMessageOf<'welcome'> | ServerMessageOf<'access-denied'>>;
  close(): void;
}

const rawClients = new Set<RawControlClient>();

/** Cuts every raw client still open (call in `after`). */
export function closeRawClients(): void {
  for (const c of rawClients) c.close();
  rawClients.clear();
}

export async function rawControlClient(baseUrl: string, options: { localAddress?: string; headers?: Record<string, string> } = {}): Promise<RawControlClient> {
  const ws = new WebSocket(controlUrl(baseUrl), {
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const messages: ServerMessage[] = [];
  const taken = new Set<ServerMessage>();
  const waiters: Array<() => void> = [];
  // A message the protocol rejects fails the test waiting on this client (now or at its next
  // take/hello), not the whole file: a throw here would be an uncaught exception.
  let failure: Error | null = null;
  ws.on('message', (d) => {
    const m = parseServerMessage(String(d));
    if (!m.ok) failure ??= new Error(`the server sent an invalid message: ${m.reason}: ${String(d).slice(0, 200)}`);
    else messages.push(m.value);
    for (const w of waiters.slice()) w();
  });
  ws.on('error', () => {
    // The close event carries the outcome.
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await withTimeout(
    new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    }),
    10_000,
    'control lane open',
  );
  const c: RawControlClient = {
    ws,
    messages,
    closed,
    take(type, match, ms = 10_000) {
      const find = (): ServerMessage | undefined =>
        messages.find((m) => m.type === type && !taken.has(m) && (!match || match(m as never)));
      return withTimeout(
        new Promise((resolve, reject) => {
          const check = (): boolean => {
            if (failure) {
              reject(failure);
              return true;
            }
            const m = find();
            if (!m) return false;
            taken.add(m);
            resolve(m as never);
            return true;
          };
          if (check()) return;
          const w = (): void => {
            if (check()) waiters.splice(waiters.indexOf(w), 1);
          };
          waiters.push(w);
        }),
        ms,
        `${type}${match ? ' (matching)' : ''}`,
      );
    },
    send(message) {
      ws.send(JSON.stringify(message));
    },
    async hello(nickname, extra = {}) {
      c.send({ type: 'hello', protocol: PROTOCOL_VERSION, nickname, ...extra });
      const answer = await withTimeout(
        new Promise<ServerMessage>((resolve, reject) => {
          const check = (): boolean => {
            if (failure) {
              reject(failure);
              return true;
            }
            const m = messages.find((x) => x.type === 'welcome' || x.type === 'access-denied');
            if (m) resolve(m);
            return m !== undefined;
          };
          if (check()) return;
          const w = (): void => {
            if (check()) waiters.splice(waiters.indexOf(w), 1);
          };
          waiters.push(w);
        }),
        15_000,
        `${nickname}: welcome or access-denied`,
      );
      taken.add(answer);
      return answer as ServerMessageOf<'welcome'> | ServerMessageOf<'access-denied'>;
    },
    close() {
      if (ws.readyState === ws.OPEN) ws.close(1000);
      else ws.terminate();
      rawClients.delete(c);
    },
  };
  rawClients.add(c);
  return c;
}

/** The migrations the repository ships, by name in order (what a fresh data dir ends up with). */
export function shippedMigrations(): string[] {
  const dir = fileURLToPath(new URL('../../migrations/', import.meta.url));
  return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((f) => f.slice(0, -4));
}

/** Reads one query from a data dir's database, read-only, while the server may have it open. */
export function queryDataDir<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new SQLite(path.join(dataDir, 'voice-app.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
