/** Channels: list for moderators; create, edit, delete for admins. Changes reach connected clients at once. */
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, channelConfigSchema, channelIdSchema, channelNameSchema, roleSchema } from '../../shared/control/protocol.ts';
import type { ChannelInfo } from '../../shared/control/protocol.ts';
import type { channelResponseSchema, channelSchema, channelsResponseSchema } from '../../shared/admin/api.ts';
import { idParam, route, type Route } from './route.ts';

const fields = {
  name: channelNameSchema,
  parentId: channelIdSchema,
  position: z.number().int().min(-1000).max(1000),
  maxUsers: z.number().int().min(0).max(1000),
  bitrate: channelConfigSchema.shape.bitrate,
  frameSamples: channelConfigSchema.shape.frameSamples,
  requiredRole: roleSchema,
};
const password = z.string().min(1).max(MAX_PASSWORD_LENGTH);

const createBody = z.strictObject({
  name: fields.name,
  parentId: fields.parentId,
  position: fields.position.optional(),
  maxUsers: fields.maxUsers.optional(),
  bitrate: fields.bitrate.optional(),
  frameSamples: fields.frameSamples.optional(),
  requiredRole: fields.requiredRole.optional(),
  password: password.optional(),
});

const patchBody = z
  .strictObject({
    name: fields.name.optional(),
    parentId: fields.parentId.optional(),
    position: fields.position.optional(),
    maxUsers: fields.maxUsers.optional(),
    bitrate: fields.bitrate.optional(),
    frameSamples: fields.frameSamples.optional(),
    requiredRole: fields.requiredRole.optional(),
    password: password.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'change at least one field', path: ['body'] });

/** The admin view of a channel: flat, with its lock and role (never the hash). */
function channelView(c: ChannelInfo) {
  return {
    id: c.id,
    parentId: c.parentId,
    name: c.name,
    position: c.position,
    maxUsers: c.maxUsers,
    bitrate: c.config.bitrate,
    frameSamples: c.config.frameSamples,
    requiredRole: c.requiredRole ?? 'guest',
    locked: c.locked ?? false,
  } satisfies z.input<typeof channelSchema>;
}

export const channelRoutes: Route[] = [
  route({
    method: 'GET',
    path: '/api/channels',
    role: 'moderator',
    handle(deps) {
      return { body: { channels: deps.channels.list().map(channelView) } satisfies z.input<typeof channelsResponseSchema> };
    },
  }),
  route({
    method: 'POST',
    path: '/api/channels',
    role: 'admin',
    body: createBody,
    async handle(deps, req) {
      const channel = await deps.channels.create(deps.db, req.body);
      deps.sessions.channelChanged(channel);
      return { status: 201, body: { channel: channelView(channel) } satisfies z.input<typeof channelResponseSchema> };
    },
  }),
  route({
    method: 'PATCH',
    path: '/api/channels/:id',
    role: 'admin',
    body: patchBody,
    async handle(deps, req) {
      const id = idParam(req);
      const channel = await deps.channels.update(deps.db, id, req.body);
      deps.sessions.channelChanged(channel);
      return { body: { channel: channelView(channel) } satisfies z.input<typeof channelResponseSchema> };
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/channels/:id',
    role: 'admin',
    async handle(deps, req) {
      const removed = deps.channels.remove(deps.db, idParam(req));
      deps.sessions.channelsRemoved(removed);
      return { status: 204 };
    },
  }),
];
