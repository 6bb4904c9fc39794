/**
 * Koa middleware for /api/*: matches the route table, checks the bearer token
 * and the caller's role, reads and validates the body, runs the handler, and
 * writes every failure in the one error shape (api-error.ts). The token only
 * says who calls; the account is read again on every request, and the bans
 * the login obeys (Gatekeeper.banFor) are asked again, so role changes, bans
 * of the account or of the caller's address, and deletions apply at once.
 */
import type Koa from 'koa';
import { roleAtLeast } from '../../shared/auth/roles.ts';
import type { Account } from '../accounts/account-store.ts';
import { ApiError, badRequest, busy, denialToApiError, fieldError } from './api-error.ts';
import { readJsonBody } from './json-body.ts';
import { clientAddress } from '../http/client-address.ts';
import { banDenial } from '../auth/gatekeeper.ts';
import type { AdminDeps, Route } from './route.ts';
import { BusyError, ConflictError, NotFoundError } from '../util/errors.ts';
import { createLogger } from '../util/log.ts';

const log = createLogger('admin-api');

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

const unauthorized = (message: string): ApiError =>
  new ApiError(401, 'unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="voice-app"' } });

async function authenticate(deps: AdminDeps, header: string | undefined, address: string): Promise<Account> {
  if (header === undefined || header === '') throw unauthorized('send Authorization: Bearer <token> (POST /api/auth/login)');
  const m = /^Bearer ([A-Za-z0-9_.-]{1,4096})$/.exec(header);
  if (!m) throw unauthorized('the Authorization header is not "Bearer <token>"');
  const verdict = await deps.tokens.verify(m[1]!);
  if (!verdict.ok) {
    log.info('token refused', { address, reason: verdict.reason });
    throw unauthorized(`the token is not valid (${verdict.reason})`);
  }
  const account = await deps.accounts.get(verdict.userId);
  if (!account) throw unauthorized('the token\'s account no longer exists');
  const now = Date.now();
  const ban = deps.gatekeeper.banFor(account, address, now, 'admin-api');
  if (ban) throw denialToApiError(banDenial(ban, now));
  return account;
}

export function adminApi(deps: AdminDeps, routes: readonly Route[]): Koa.Middleware {
  const table = routes.map(compile);
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/api/')) return next();
    ctx.set('Cache-Control', 'no-store');
    try {
      const allowed: string[] = [];
      let found: { c: CompiledRoute; m: RegExpExecArray } | null = null;
      for (const c of table) {
        const m = c.pattern.exec(ctx.path);
        if (!m) continue;
        allowed.push(c.route.method);
        if (c.route.method === ctx.method || (ctx.method === 'HEAD' && c.route.method === 'GET')) {
          found = { c, m };
          break;
        }
      }
      if (!found) {
        if (allowed.length > 0) {
          ctx.set('Allow', allowed.join(', '));
          throw new ApiError(405, 'method-not-allowed', `${ctx.method} is not allowed on ${ctx.path}`);
        }
        throw new ApiError(404, 'not-found', `no API route ${ctx.path}`);
      }
      const { route } = found.c;
      const params: Record<string, string> = {};
      found.c.names.forEach((n, i) => {
        try {
          params[n] = decodeURIComponent(found.m[i + 1]!);
        } catch {
          throw fieldError(n, 'not a valid percent-encoded path segment');
        }
      });
      const address = clientAddress(ctx.req, deps.trustedProxies);
      let caller: Account | null = null;
      if (route.role !== null) {
        caller = await authenticate(deps, ctx.get('Authorization') || undefined, address);
        if (!roleAtLeast(caller.role, route.role)) {
          throw new ApiError(403, 'forbidden', `${ctx.method} ${route.path} needs the role ${route.role}; this account is ${caller.role}`);
        }
      }
      let body: unknown = undefined;
      if (route.method === 'POST' || route.method === 'PATCH') {
        const raw = await readJsonBody(ctx.req);
        if (route.body) {
          const parsed = route.body.safeParse(raw);
          if (!parsed.success) throw badRequest(parsed.error);
          body = parsed.data;
        }
      }
      const result = await route.handle(deps, { params, body, caller, address });
      ctx.status = result.status ?? 200;
      if (result.body !== undefined) ctx.body = result.body;
    } catch (error) {
      const e = toApiError(error);
      if (e.status >= 500) log.error('admin API request failed', { method: ctx.method, path: ctx.path, error });
      ctx.status = e.status;
      ctx.set(e.headers);
      ctx.body = e.body();
    }
  };
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof NotFoundError) return error.field === undefined ? new ApiError(404, 'not-found', error.message) : fieldError(error.field, error.message);
  if (error instanceof ConflictError) return new ApiError(409, 'conflict', error.message);
  if (error instanceof BusyError) return busy();
  return new ApiError(500, 'internal', 'the server failed to handle this request (see its log)');
}
