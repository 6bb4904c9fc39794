/** Online sessions, kick, ban, and the ban list. Moderators and admins. */
import { z } from 'zod';
import { sessionTokenSchema } from '../../shared/control/protocol.ts';
import { roleRank, type Role } from '../../shared/auth/roles.ts';
import {
  MAX_REASON_LENGTH,
  type banResponseSchema,
  type bansResponseSchema,
  type kickResponseSchema,
  type sessionSchema,
  type sessionsResponseSchema,
} from '../../shared/admin/api.ts';
import type { Account } from '../accounts/account-store.ts';
import { parseAddress, parseAddressRange, type AddressRange } from '../bans/ip-range.ts';
import { banCovers } from '../bans/ban-list.ts';
import { describeBan } from '../auth/gatekeeper.ts';
import type { Session } from '../control/session.ts';
import { ApiError, fieldError, notFound } from './api-error.ts';
import { callerOf, idParam, route, type Route } from './route.ts';

const reason = z.string().trim().max(MAX_REASON_LENGTH);

/**
 * Whether `actor` may kick or ban someone with `targetRole` (and account
 * `targetUserId`): never themself; admins anyone else; others only lower roles.
 */
function mayActOn(actor: Account, targetRole: Role, targetUserId: number | null): string | null {
  if (targetUserId === actor.id) return 'you cannot do that to your own account';
  if (actor.role === 'admin') return null;
  if (roleRank(targetRole) >= roleRank(actor.role)) return `a ${actor.role} cannot act on a ${targetRole}`;
  return null;
}

function sessionView(s: Session) {
  return {
    sessionToken: s.token,
    nickname: s.nickname,
    userId: s.userId,
    role: s.role,
    channelId: s.channelId,
    address: s.address,
    connectedAt: s.connectedAt,
    selfMute: s.selfMute,
    selfDeaf: s.selfDeaf,
    voice: s.peer?.isOpen ?? false,
  } satisfies z.input<typeof sessionSchema>;
}

const banBody = z
  .strictObject({
    userId: z.number().int().min(1).optional(),
    address: z.string().trim().min(1).max(64).optional(),
    reason: reason.optional(),
    /** Omitted or null: permanent. At most ten years. */
    durationSeconds: z.number().int().min(1).max(10 * 366 * 24 * 3600).nullable().optional(),
  })
  .refine((b) => b.userId !== undefined || b.address !== undefined, { message: 'give userId, address or both', path: ['userId'] });

export const moderationRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/sessions',
    role: 'moderator',
    handle(deps) {
      return { body: { sessions: [...deps.sessions.sessions()].map(sessionView) } satisfies z.input<typeof sessionsResponseSchema> };
    },
  }),
  route({
    method: 'POST',
    path: '/api/kick',
    role: 'moderator',
    body: z.strictObject({ sessionToken: sessionTokenSchema, reason: reason.optional() }),
    handle(deps, req) {
      const me = callerOf(req);
      const target = deps.sessions.get(req.body.sessionToken);
      if (!target) throw notFound('session (it may have left)');
      const refusal = mayActOn(me, target.role, target.userId);
      if (refusal) throw new ApiError(403, 'forbidden', refusal);
      const why = req.body.reason ?? '';
      deps.sessions.remove(target, 'kicked', why === '' ? 'you were kicked from the server' : `you were kicked: ${why}`, me.name);
      return { body: { kicked: target.token } satisfies z.input<typeof kickResponseSchema> };
    },
  }),
  route({
    method: 'POST',
    path: '/api/ban',
    role: 'moderator',
    body: banBody,
    async handle(deps, req) {
      const me = callerOf(req);
      const now = Date.now();
      const { userId = null, address, durationSeconds = null } = req.body;
      let account: Account | undefined;
      if (userId !== null) {
        account = await deps.accounts.get(userId);
        if (!account) throw fieldError('userId', 'no such account');
        const refusal = mayActOn(me, account.role, account.id);
        if (refusal) throw new ApiError(403, 'forbidden', refusal);
      }
      let range: AddressRange | null = null;
      if (address !== undefined) {
        const parsed = parseAddressRange(address);
        if ('error' in parsed) throw fieldError('address', parsed.error);
        range = parsed;
      }
      // Everyone the ban covers is removed; a moderator may not cover someone they could not kick.
      const target = { userId, range };
      const covered = [...deps.sessions.sessions()].filter(
        // Your own address may be in a range you ban: your sessions are spared.
        (s) => !(s.userId !== null && s.userId === me.id) && banCovers(target, { userId: s.userId, address: parseAddress(s.address) }),
      );
      for (const s of covered) {
        const refusal = mayActOn(me, s.role, s.userId);
        if (refusal) throw new ApiError(403, 'forbidden', `the ban would cover ${s.nickname}: ${refusal}`);
      }
      const ban = await deps.bans.add(
        {
          userId: account?.id ?? null,
          userName: account?.name ?? null,
          range,
          reason: req.body.reason ?? '',
          createdBy: me.name,
          expiresAt: durationSeconds === null ? null : now + durationSeconds * 1000,
        },
        now,
      );
      for (const s of covered) deps.sessions.remove(s, 'banned', describeBan(ban), me.name);
      return { status: 201, body: { ban, kicked: covered.map((s) => s.token) } satisfies z.input<typeof banResponseSchema> };
    },
  }),
  route({
    method: 'GET',
    path: '/api/bans',
    role: 'moderator',
    handle(deps) {
      return { body: { bans: deps.bans.list(Date.now()) } satisfies z.input<typeof bansResponseSchema> };
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/bans/:id',
    role: 'moderator',
    async handle(deps, req) {
      const id = idParam(req);
      if (!(await deps.bans.lift(id))) throw notFound('ban (it may have expired)');
      return { status: 204 };
    },
  }),
];
