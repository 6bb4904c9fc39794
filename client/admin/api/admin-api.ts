/**
 * Typed client for the admin API (docs/admin-api.md). Every call goes through
 * `#request`, which sends the bearer token, reads the error body
 * `{ error, message, fields? }` into an `ApiError`, and checks a success body
 * against its schema. A 401 `unauthorized` from any call (expired or revoked
 * token, deleted account), or a 403 `banned` (the server checks the caller's
 * account against the bans on every request), is reported to `onUnauthorized`
 * before the call rejects, so the app can go back to the login form from one place.
 */
import type { z } from 'zod';
import {
  accountResponseSchema,
  accountsResponseSchema,
  banResponseSchema,
  bansResponseSchema,
  channelResponseSchema,
  channelsResponseSchema,
  errorBodySchema,
  kickResponseSchema,
  loginResponseSchema,
  meResponseSchema,
  sessionsResponseSchema,
  statsSchema,
  type Account,
  type Ban,
  type BanRequest,
  type Channel,
  type ChannelFields,
  type LoginResponse,
  type Role,
  type Session,
  type Stats,
  type User,
} from './types.ts';

/** A failed call: the server's error code and sentence, or `network` / `bad-response` when there was none. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  readonly code: string;
  /** Per-field reasons from a 400, keyed by the field's path (`name`, `password`, …). */
  readonly fields: Readonly<Record<string, string>>;
  /** From `Retry-After` (429, 503), in seconds. */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, code: string, message: string, fields: Record<string, string> = {}, retryAfterSeconds: number | null = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface AdminApiOptions {
  /** The current bearer token, or null when logged out. */
  token(): string | null;
  /** A call came back 401 `unauthorized` or 403 `banned`: the token is no good any more. */
  onUnauthorized(error: ApiError): void;
  fetch?: typeof fetch;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export class AdminApi {
  readonly #options: AdminApiOptions;
  readonly #fetch: typeof fetch;

  constructor(options: AdminApiOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  login(name: string, password: string): Promise<LoginResponse> {
    return this.#request('POST', '/api/auth/login', loginResponseSchema, { name, password }, false);
  }

  async me(): Promise<User> {
    return (await this.#request('GET', '/api/me', meResponseSchema)).user;
  }

  stats(): Promise<Stats> {
    return this.#request('GET', '/api/stats', statsSchema);
  }

  async sessions(): Promise<Session[]> {
    return (await this.#request('GET', '/api/sessions', sessionsResponseSchema)).sessions;
  }

  async kick(sessionToken: number, reason: string): Promise<void> {
    await this.#request('POST', '/api/kick', kickResponseSchema, reason ? { sessionToken, reason } : { sessionToken });
  }

  ban(request: BanRequest): Promise<{ ban: Ban; kicked: number[] }> {
    return this.#request('POST', '/api/ban', banResponseSchema, request);
  }

  async bans(): Promise<Ban[]> {
    return (await this.#request('GET', '/api/bans', bansResponseSchema)).bans;
  }

  async liftBan(id: number): Promise<void> {
    await this.#request('DELETE', `/api/bans/${id}`, null);
  }

  async channels(): Promise<Channel[]> {
    return (await this.#request('GET', '/api/channels', channelsResponseSchema)).channels;
  }

  async createChannel(fields: Partial<ChannelFields>): Promise<Channel> {
    return (await this.#request('POST', '/api/channels', channelResponseSchema, fields)).channel;
  }

  async updateChannel(id: number, fields: Partial<ChannelFields>): Promise<void> {
    // The contract does not promise a body for PATCH /api/channels/:id; any 2xx is success.
    await this.#request('PATCH', `/api/channels/${id}`, null, fields);
  }

  async deleteChannel(id: number): Promise<void> {
    await this.#request('DELETE', `/api/channels/${id}`, null);
  }

  async users(): Promise<Account[]> {
    return (await this.#request('GET', '/api/users', accountsResponseSchema)).users;
  }

  async createUser(fields: { name: string; password: string; role: Role }): Promise<Account> {
    return (await this.#request('POST', '/api/users', accountResponseSchema, fields)).user;
  }

  async updateUser(id: number, fields: { role?: Role; password?: string }): Promise<void> {
    await this.#request('PATCH', `/api/users/${id}`, null, fields);
  }

  async deleteUser(id: number): Promise<void> {
    await this.#request('DELETE', `/api/users/${id}`, null);
  }

  async #request<S extends z.ZodType>(method: Method, path: string, schema: S, body?: unknown, authorised?: boolean): Promise<z.output<S>>;
  async #request(method: Method, path: string, schema: null, body?: unknown): Promise<void>;
  async #request(method: Method, path: string, schema: z.ZodType | null, body?: unknown, authorised = true): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = authorised ? this.#options.token() : null;
    if (token) headers['Authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await this.#fetch(path, {
        method,
        headers,
        cache: 'no-store',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'network', 'The server could not be reached.');
    }
    if (!response.ok) {
      const error = await readError(response);
      if (authorised && endsSession(error)) this.#options.onUnauthorized(error);
      throw error;
    }
    if (schema === null) return undefined;
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'not JSON';
      throw new ApiError(response.status, 'bad-response', `Unexpected answer from ${method} ${path} (${where}).`);
    }
    return parsed.data;
  }
}

/** Errors after which no call with this token can succeed. */
export function endsSession(error: ApiError): boolean {
  return error.code === 'unauthorized' || error.code === 'banned';
}

async function readError(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'), Date.now());
  const body = errorBodySchema.safeParse(await response.json().catch(() => undefined));
  if (body.success) return new ApiError(response.status, body.data.error, body.data.message, body.data.fields, retryAfter);
  // Not the contract's shape: a proxy in front of the server, or a server without the admin API.
  const code = response.status === 401 ? 'unauthorized' : `http-${response.status}`;
  return new ApiError(response.status, code, `The server answered ${response.status} ${response.statusText}`.trim() + '.', {}, retryAfter);
}

/** `Retry-After` is either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - nowMs) / 1000));
}
