/** Accounts and roles: admins only. Changes reach the account's online sessions at once. */
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_ACCOUNT_PASSWORD_LENGTH, nicknameSchema, roleSchema } from '../../shared/control/protocol.ts';
import type { Account } from '../accounts/account-store.ts';
import type { accountResponseSchema, accountSchema, accountsResponseSchema } from '../../shared/admin/api.ts';
import { ApiError, notFound } from './api-error.ts';
import { callerOf, idParam, route, type Route } from './route.ts';

const password = z.string().min(MIN_ACCOUNT_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);

const userView = (a: Account) => ({ id: a.id, name: a.name, role: a.role, createdAt: a.createdAt, lastLoginAt: a.lastLoginAt }) satisfies z.input<typeof accountSchema>;

export const userRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/users',
    role: 'admin',
    async handle(deps) {
      return { body: { users: (await deps.accounts.list()).map(userView) } satisfies z.input<typeof accountsResponseSchema> };
    },
  }),
  route({
    method: 'POST',
    path: '/api/users',
    role: 'admin',
    body: z.strictObject({ name: nicknameSchema, password, role: roleSchema.optional() }),
    async handle(deps, req) {
      const account = await deps.accounts.create(req.body.name, req.body.password, req.body.role ?? 'member');
      return { status: 201, body: { user: userView(account) } satisfies z.input<typeof accountResponseSchema> };
    },
  }),
  route({
    method: 'PATCH',
    path: '/api/users/:id',
    role: 'admin',
    body: z
      .strictObject({ role: roleSchema.optional(), password: password.optional() })
      .refine((b) => b.role !== undefined || b.password !== undefined, { message: 'change role, password or both', path: ['body'] }),
    async handle(deps, req) {
      const id = idParam(req);
      const me = callerOf(req);
      let account = await deps.accounts.get(id);
      if (!account) throw notFound('user');
      if (req.body.role !== undefined && req.body.role !== account.role) {
        if (id === me.id) throw new ApiError(403, 'forbidden', 'you cannot change your own role: ask another admin');
        account = await deps.accounts.setRole(id, req.body.role);
        if (!account) throw notFound('user');
        deps.sessions.roleChanged(id, account.role);
      }
      if (req.body.password !== undefined) await deps.accounts.setPassword(id, req.body.password);
      return { body: { user: userView(account) } satisfies z.input<typeof accountResponseSchema> };
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/users/:id',
    role: 'admin',
    async handle(deps, req) {
      const id = idParam(req);
      if (id === callerOf(req).id) throw new ApiError(403, 'forbidden', 'you cannot delete your own account');
      if (!(await deps.accounts.delete(id))) throw notFound('user');
      for (const s of deps.sessions.sessionsOf(id)) deps.sessions.remove(s, 'kicked', 'your account was deleted', callerOf(req).name);
      return { status: 204 };
    },
  }),
];
