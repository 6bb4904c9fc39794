/**
 * What a route is: method, path (with `:name` parameters), the least role that
 * may call it (null: no token needed), an optional body schema, and a handler.
 * The table is data, so the authz rules can be read (and tested) in one place.
 */
import type { z } from 'zod';
import type { statsSchema } from '../../shared/admin/api.ts';
import type { Role } from '../../shared/auth/roles.ts';
import type { Account } from '../accounts/account-store.ts';
import type { AccountStore } from '../accounts/account-store.ts';
import type { BanList } from '../bans/ban-list.ts';
import type { ChannelDirectory } from '../channels/channel-directory.ts';
import type { SessionManager } from '../control/session-manager.ts';
import type { Database } from '../db/database.ts';
import type { Gatekeeper } from '../auth/gatekeeper.ts';
import type { TokenService } from '../auth/token-service.ts';
import { fieldError } from './api-error.ts';
import type { TrustedProxies } from '../http/client-address.ts';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Everything the handlers work with. */
export interface AdminDeps {
  db: Database;
  accounts: AccountStore;
  bans: BanList;
  channels: ChannelDirectory;
  sessions: SessionManager;
  gatekeeper: Gatekeeper;
  tokens: TokenService;
  /** GET /api/stats. */
  stats: () => z.input<typeof statsSchema>;
  trustedProxies: TrustedProxies;
}

export interface RouteRequest<B> {
  params: Record<string, string>;
  body: B;
  /** The account behind the token; null only on routes with role null. */
  caller: Account | null;
  /** The client's address. */
  address: string;
}

export interface RouteResult {
  status?: number;
  body?: unknown;
}

export interface Route<S extends z.ZodType = z.ZodType> {
  method: Method;
  path: string;
  role: Role | null;
  body?: S;
  handle(deps: AdminDeps, req: RouteRequest<z.infer<S>>): Promise<RouteResult> | RouteResult;
}

/** Helps TypeScript infer the body type of one route. */
export function route<S extends z.ZodType>(r: Route<S>): Route {
  return r as unknown as Route;
}

/** The caller of a route that requires a token. */
export function callerOf(req: RouteRequest<unknown>): Account {
  if (!req.caller) throw new Error('route without a role read its caller');
  return req.caller;
}

/** A positive integer path parameter, or a 400 naming it. */
export function idParam(req: RouteRequest<unknown>, name = 'id'): number {
  const raw = req.params[name] ?? '';
  const n = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n > 0x7fff_ffff) throw fieldError(name, 'must be a positive whole number');
  return n;
}
