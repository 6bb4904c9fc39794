/**
 * The admin API's wire contract (docs/admin-api.md), written once: the server's
 * views are checked against these schemas at compile time (`satisfies
 * z.input<…>`), the admin panel checks every body it receives with them, and
 * tests take their types from here. Unknown keys are dropped; a value that
 * may be absent reads null either way.
 */
import { z } from 'zod';
import { ROLES, type Role } from '../auth/roles.ts';

export { ROLES, type Role };

/** The longest kick or ban reason the server takes, in UTF-16 code units after trimming (the bans table checks the same). */
export const MAX_REASON_LENGTH = 200;

const role = z.enum(ROLES);
const id = z.number().int();
/** ms since the Unix epoch. */
const epochMs = z.number();
/** A value that may be absent: null or missing both read as null. */
const orNull = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? null);

export const userSchema = z.object({ id, name: z.string(), role });
export type User = z.infer<typeof userSchema>;

export const loginResponseSchema = z.object({ token: z.string().min(1), tokenType: z.literal('Bearer'), expiresAt: epochMs, user: userSchema });
export type LoginResponse = z.infer<typeof loginResponseSchema>;

export const meResponseSchema = z.object({ user: userSchema });

export const statsSchema = z.object({
  uptimeSeconds: z.number(),
  sessions: z.number(),
  controlConnections: z.number(),
  relay: z.object({
    datagramsIn: z.number(),
    bytesIn: z.number(),
    forwarded: z.number(),
    bytesOut: z.number(),
    keepalives: z.number(),
    pingsEchoed: z.number(),
    drops: z.record(z.string(), z.number()),
  }),
  /** Relay hold since start: datagrams per bucketMs-wide bucket of the time from queueing to sendmsg. */
  relayHold: z.object({ bucketMs: z.number().positive(), counts: z.array(z.number()) }),
  /** One entry per relay shard (worker thread); `relay` is their sum. */
  shards: z.array(
    z.object({
      index: z.number().int(),
      members: z.number(),
      channels: z.number(),
      peers: z.number(),
      datagramsIn: z.number(),
      forwarded: z.number(),
      drops: z.number(),
      whispersOut: z.number(),
      whispersIn: z.number(),
      restarts: z.number(),
      /** CPU time of the shard's threads since start, ms (null: the platform cannot tell). */
      cpuMs: orNull(z.number()),
      /** Time they were runnable but waited for a CPU, ms (null off Linux). */
      cpuWaitMs: orNull(z.number()),
      overloaded: z.boolean(),
    }),
  ),
  control: z.object({
    connections: z.number(),
    messagesIn: z.number(),
    invalid: z.number(),
    rateLimited: z.number(),
    closedForAbuse: z.number(),
  }),
  process: z.object({ rssBytes: z.number(), heapUsedBytes: z.number(), unhandledRejections: z.number() }),
});
export type Stats = z.infer<typeof statsSchema>;

export const sessionSchema = z.object({
  sessionToken: z.number().int(),
  nickname: z.string(),
  userId: orNull(id),
  role,
  channelId: id,
  address: z.string(),
  connectedAt: epochMs,
  selfMute: z.boolean(),
  selfDeaf: z.boolean(),
  voice: z.boolean(),
});
export type Session = z.infer<typeof sessionSchema>;
export const sessionsResponseSchema = z.object({ sessions: z.array(sessionSchema) });

export const kickResponseSchema = z.object({ kicked: z.number().int() });

export const banSchema = z.object({
  id,
  userId: orNull(id),
  userName: orNull(z.string()),
  address: orNull(z.string()),
  reason: orNull(z.string()),
  createdBy: orNull(z.string()),
  createdAt: epochMs,
  /** null: permanent. */
  expiresAt: orNull(epochMs),
});
export type Ban = z.infer<typeof banSchema>;
export const banResponseSchema = z.object({ ban: banSchema, kicked: z.array(z.number().int()) });
export const bansResponseSchema = z.object({ bans: z.array(banSchema) });

export interface BanRequest {
  userId?: number;
  address?: string;
  reason?: string;
  /** null: permanent. */
  durationSeconds: number | null;
}

export const channelSchema = z.object({
  id,
  /** null: the root channel. */
  parentId: id.nullable(),
  name: z.string(),
  position: z.number().int(),
  maxUsers: z.number().int(),
  bitrate: z.number().int(),
  frameSamples: z.number().int(),
  requiredRole: role,
  locked: z.boolean(),
});
export type Channel = z.infer<typeof channelSchema>;
export const channelsResponseSchema = z.object({ channels: z.array(channelSchema) });
export const channelResponseSchema = z.object({ channel: channelSchema });

/** POST /api/channels; PATCH takes any subset, and `password: null` removes the password. */
export interface ChannelFields {
  name: string;
  parentId: number | null;
  position: number;
  maxUsers: number;
  bitrate: number;
  requiredRole: Role;
  password: string | null;
}

export const accountSchema = z.object({
  id,
  name: z.string(),
  role,
  createdAt: epochMs,
  lastLoginAt: orNull(epochMs),
});
export type Account = z.infer<typeof accountSchema>;
export const accountsResponseSchema = z.object({ users: z.array(accountSchema) });
export const accountResponseSchema = z.object({ user: accountSchema });

/** The body of every error response. */
export const errorBodySchema = z.object({
  error: z.string(),
  message: z.string(),
  fields: z.record(z.string(), z.string()).optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
