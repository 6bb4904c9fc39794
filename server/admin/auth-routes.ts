/** Login, the caller's own account, and the live counters. */
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, nicknameSchema } from '../../shared/control/protocol.ts';
import type { loginResponseSchema, meResponseSchema } from '../../shared/admin/api.ts';
import { denialToApiError } from './api-error.ts';
import { callerOf, route, type Route } from './route.ts';

const loginBody = z.strictObject({
  name: nicknameSchema,
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});

export const authRoutes: Route[] = [
  route({
    method: 'POST',
    path: '/api/auth/login',
    role: null,
    body: loginBody,
    async handle(deps, req) {
      const now = Date.now();
      const verdict = await deps.gatekeeper.login(req.body.name, req.body.password, req.address, now, 'admin-api');
      if (!verdict.ok) throw denialToApiError(verdict);
      const { account } = verdict;
      const { token, expiresAt } = await deps.tokens.issue(account.id, now);
      return {
        body: { token, tokenType: 'Bearer', expiresAt, user: { id: account.id, name: account.name, role: account.role } } satisfies z.input<typeof loginResponseSchema>,
      };
    },
  }),
  route({
    method: 'GET',
    path: '/api/me',
    role: 'guest',
    handle(_deps, req) {
      const me = callerOf(req);
      return { body: { user: { id: me.id, name: me.name, role: me.role } } satisfies z.input<typeof meResponseSchema> };
    },
  }),
  route({
    method: 'GET',
    path: '/api/stats',
    role: 'moderator',
    handle(deps) {
      return { body: deps.stats() };
    },
  }),
];
