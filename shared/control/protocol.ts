/**
 * The control lane: JSON text frames over one WebSocket, each a member of a
 * discriminated union on `type`. Both directions are validated at the edge with
 * these schemas. Message types and fields are append-only; the protocol version
 * travels in `hello`/`resume`. See docs/protocol.md.
 */
import { z } from 'zod';
import { ALLOWED_FRAME_SAMPLES } from '../voice/constants.ts';
import { ROLES } from '../auth/roles.ts';

export const PROTOCOL_VERSION = 1;
/** Largest control frame either side accepts (bytes); bigger frames close the socket with 1009. */
export const MAX_CONTROL_MESSAGE_BYTES = 64 * 1024;
export const MAX_NICKNAME_LENGTH = 32;
export const MAX_CHAT_LENGTH = 2000;
export const MAX_SDP_LENGTH = 32 * 1024;
/** Longest password (channel or account) a message may carry, and the longest the server stores. */
export const MAX_PASSWORD_LENGTH = 128;
/** Shortest account password `hello` with `register` (and the admin API) accepts. */
export const MIN_ACCOUNT_PASSWORD_LENGTH = 8;

export const roleSchema = z.enum(ROLES);

const u32 = z.number().int().min(0).max(0xffff_ffff);
/** Field schemas both the control lane and the admin API validate with. */
export const sessionTokenSchema = z.number().int().min(1).max(0xffff_ffff);
export const channelIdSchema = z.number().int().min(1).max(0x7fff_ffff);
export const channelNameSchema = z.string().trim().min(1).max(64);
export const nicknameSchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_NICKNAME_LENGTH)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'control characters are not allowed');

export const channelConfigSchema = z.object({
  /** Opus target bitrate in bits per second. */
  bitrate: z.number().int().min(6_000).max(510_000),
  /** Samples per Opus frame at 48 kHz. */
  frameSamples: z.union(ALLOWED_FRAME_SAMPLES.map((n) => z.literal(n)) as [z.ZodLiteral<480>, z.ZodLiteral<960>, z.ZodLiteral<1920>, z.ZodLiteral<2880>]),
});
export type ChannelConfig = z.infer<typeof channelConfigSchema>;

export const channelInfoSchema = z.object({
  id: channelIdSchema,
  parentId: channelIdSchema.nullable(),
  name: channelNameSchema,
  position: z.number().int(),
  /** 0 means no limit. */
  maxUsers: z.number().int().min(0),
  config: channelConfigSchema,
  /**
   * The channel has a password: `join` must carry it. The server always sends
   * it; absent (from a server older than the field) means false.
   */
  locked: z.boolean().optional(),
  /** The least role that may join; absent (older server) means anyone. */
  requiredRole: roleSchema.optional(),
});
export type ChannelInfo = z.infer<typeof channelInfoSchema>;

export const userInfoSchema = z.object({
  sessionToken: sessionTokenSchema,
  nickname: z.string(),
  channelId: channelIdSchema,
  selfMute: z.boolean(),
  selfDeaf: z.boolean(),
  /** The session's role (`guest` unless logged in to an account); the server always sends it. */
  role: roleSchema.optional(),
  /** Logged in to a registered account (the nickname is that account's name). */
  registered: z.boolean().optional(),
});
export type UserInfo = z.infer<typeof userInfoSchema>;

const iceCandidate = {
  /** The candidate line; '' signals end of candidates. */
  candidate: z.string().max(1024),
  sdpMid: z.string().max(64).nullable(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable(),
};

// ---- client → server -------------------------------------------------------

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.number().int(),
    nickname: nicknameSchema,
    client: z.string().max(64).optional(),
    /** Account password: log in as the registered user `nickname` (or register it, with `register`). Absent: a guest. */
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH).optional(),
    /** Create the account `nickname` with `password`, then log in. */
    register: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('resume'),
    protocol: z.number().int(),
    sessionToken: sessionTokenSchema,
    resumeSecret: z.string().min(1).max(128),
  }),
  z.object({ type: z.literal('join'), channelId: channelIdSchema, password: z.string().max(MAX_PASSWORD_LENGTH).optional() }),
  z.object({ type: z.literal('chat'), text: z.string().trim().min(1).max(MAX_CHAT_LENGTH) }),
  z.object({ type: z.literal('set-self'), selfMute: z.boolean(), selfDeaf: z.boolean() }),
  z.object({ type: z.literal('rtc-offer'), sdp: z.string().min(1).max(MAX_SDP_LENGTH) }),
  z.object({ type: z.literal('rtc-candidate'), ...iceCandidate }),
  z.object({ type: z.literal('ping'), id: u32, clientTime: z.number().finite() }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];

// ---- server → client -------------------------------------------------------

export const joinDeniedReasonSchema = z.enum([
  'no-such-channel',
  'channel-full',
  'password-required', // the channel is locked and the join carried no password
  'wrong-password',
  'rate-limited', // too many wrong passwords lately, or the server is busy checking others; try again later
  'insufficient-role', // the channel requires a role this session does not have
]);
export type JoinDeniedReason = z.infer<typeof joinDeniedReasonSchema>;

export const leaveReasonSchema = z.enum([
  'quit', // closed the control lane with 1000
  'timeout', // lane lost and not resumed within the grace period
  'server-shutdown',
  'abuse', // closed by the server for too many invalid or rate-limited messages
  'kicked', // removed by a moderator
  'banned', // removed by a ban
]);
export type LeaveReason = z.infer<typeof leaveReasonSchema>;

/** Why a `hello` was refused (`access-denied`, then the server closes with CloseCode.denied). */
export const accessDeniedReasonSchema = z.enum([
  'bad-credentials', // wrong name or password (one message for both, so names cannot be probed)
  'name-registered', // a guest asked for a registered name: log in with its password
  'name-taken', // register: the name is already registered
  'guests-not-allowed', // this server admits registered users only
  'registration-closed', // this server does not let users register themselves
  'weak-password', // register: the password is too short
  'banned', // a ban matches this account or address; `message` has its reason and expiry
  'rate-limited', // too many failed logins from this address or for this account; `retryAfterMs` says when
  'busy', // the server is checking too many passwords at once; try again shortly
]);
export type AccessDeniedReason = z.infer<typeof accessDeniedReasonSchema>;

/** Why the server removed this session (`removed`, then it closes with CloseCode.removed). */
export const removedReasonSchema = z.enum(['kicked', 'banned']);
export type RemovedReason = z.infer<typeof removedReasonSchema>;

export const resumeDeniedReasonSchema = z.enum(['unknown-session', 'bad-secret', 'protocol-version']);

/**
 * Why the server asks for a new offer (`rtc-renew`): the session moved to a
 * channel served by another relay thread, or its relay thread was restarted.
 */
export const rtcRenewReasonSchema = z.enum(['moved', 'relay-restart']);
export type RtcRenewReason = z.infer<typeof rtcRenewReasonSchema>;

export const errorCodeSchema = z.enum([
  'bad-message', // not JSON, or not a valid message
  'protocol-version', // hello/resume with a version this server does not speak
  'not-ready', // a session message before hello/resume
  'already-greeted', // a second hello/resume on one socket
  'rate-limited', // too many messages; this one was dropped
  'rtc-failed', // the offer could not be answered
  'storage', // the message was delivered but could not be stored (chat history); the server's disk may be full
  'internal', // the server failed; the message was not applied
]);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

/**
 * Reason and code fields a client receives are open: a newer server may send a
 * value this client does not know yet, and the message must still be applied
 * (a `user-left` with an unknown reason still removes the user). The known
 * values are the enums above.
 */
const open = <T extends z.ZodEnum>(known: T) => z.union([known, z.string().min(1).max(64)]);

const sessionSnapshot = {
  sessionToken: sessionTokenSchema,
  channelId: channelIdSchema,
  channels: z.array(channelInfoSchema),
  users: z.array(userInfoSchema),
};

/** One stored chat message, as `chat-history` carries it (its sender may have left long ago). */
export const chatHistoryEntrySchema = z.object({
  id: z.number().int().min(1),
  nickname: z.string(),
  text: z.string(),
  /** Server clock, ms since the Unix epoch. */
  serverTime: z.number(),
});
export type ChatHistoryEntry = z.infer<typeof chatHistoryEntrySchema>;

export const serverMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    protocol: z.number().int(),
    serverName: z.string(),
    ...sessionSnapshot,
    /** Secret for `resume`; never shown to other clients, never sent on the voice lane. */
    resumeSecret: z.string(),
    resumeGraceMs: z.number().int().min(0),
    maxChatLength: z.number().int().min(1),
  }),
  z.object({
    type: z.literal('resumed'),
    ...sessionSnapshot,
    /** The secret rotates on every resume; the previous one no longer works. */
    resumeSecret: z.string(),
  }),
  z.object({ type: z.literal('resume-denied'), reason: open(resumeDeniedReasonSchema), message: z.string() }),
  z.object({ type: z.literal('joined'), channelId: channelIdSchema }),
  z.object({ type: z.literal('join-denied'), channelId: channelIdSchema, reason: open(joinDeniedReasonSchema), message: z.string() }),
  z.object({ type: z.literal('user-joined'), user: userInfoSchema }),
  z.object({ type: z.literal('user-left'), sessionToken: sessionTokenSchema, reason: open(leaveReasonSchema) }),
  z.object({ type: z.literal('user-moved'), sessionToken: sessionTokenSchema, channelId: channelIdSchema }),
  z.object({ type: z.literal('user-state'), sessionToken: sessionTokenSchema, selfMute: z.boolean(), selfDeaf: z.boolean() }),
  z.object({
    type: z.literal('chat'),
    id: z.number().int().min(1),
    channelId: channelIdSchema,
    sender: z.object({ sessionToken: sessionTokenSchema, nickname: z.string() }),
    text: z.string(),
    /** Server clock, ms since the Unix epoch. */
    serverTime: z.number(),
  }),
  z.object({ type: z.literal('rtc-answer'), sdp: z.string() }),
  z.object({ type: z.literal('rtc-candidate'), ...iceCandidate }),
  z.object({ type: z.literal('pong'), id: u32, clientTime: z.number(), serverTime: z.number() }),
  z.object({ type: z.literal('error'), code: open(errorCodeSchema), message: z.string(), ref: z.string().optional() }),
  /** hello refused; the server closes the lane with CloseCode.denied right after. Do not retry blindly. */
  z.object({
    type: z.literal('access-denied'),
    reason: open(accessDeniedReasonSchema),
    message: z.string(),
    /** For `rate-limited` and `banned` with an expiry: how long until trying again can work. */
    retryAfterMs: z.number().int().min(0).optional(),
  }),
  /** This session was kicked or banned; the server closes the lane with CloseCode.removed right after. */
  z.object({
    type: z.literal('removed'),
    reason: open(removedReasonSchema),
    message: z.string(),
    /** Name of the moderator who did it, if any. */
    by: z.string().nullable(),
  }),
  /** A channel was created or changed (name, parent, position, limit, bitrate, lock, required role). */
  z.object({ type: z.literal('channel-updated'), channel: channelInfoSchema }),
  /** A channel (and so its subchannels, each announced too) was deleted; its users were moved first. */
  z.object({ type: z.literal('channel-removed'), channelId: channelIdSchema }),
  /** The last stored messages of a channel, oldest first; sent after `welcome` and every `joined`. */
  z.object({ type: z.literal('chat-history'), channelId: channelIdSchema, messages: z.array(chatHistoryEntrySchema) }),
  /** A user's role changed (an admin edited the account). */
  z.object({ type: z.literal('user-role'), sessionToken: sessionTokenSchema, role: roleSchema }),
  /**
   * The server closed this session's peer connection and asks for a new
   * `rtc-offer` now (the new one is answered where the session's voice now lives).
   */
  z.object({ type: z.literal('rtc-renew'), reason: open(rtcRenewReasonSchema) }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type ServerMessageType = ServerMessage['type'];
export type ServerMessageOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>;
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;

/** WebSocket close codes the server uses (4000–4999 is the application range). */
export const CloseCode = {
  /** Client or server ends the session on purpose: no resume. */
  normal: 1000,
  goingAway: 1001,
  /** hello with a protocol version this server does not speak. */
  protocolError: 1002,
  tooBig: 1009,
  /** The server failed to handle a `hello` (after `error` `internal`); nothing was created. */
  internalError: 1011,
  /** A newer connection resumed this session. */
  superseded: 4001,
  /** Too many invalid or rate-limited messages. */
  abuse: 4002,
  /** No hello/resume within the handshake timeout. */
  handshakeTimeout: 4003,
  /** hello refused (`access-denied` says why): bad credentials, banned, guests not allowed… */
  denied: 4004,
  /** Kicked or banned (`removed` says why and by whom). */
  removed: 4005,
} as const;

export type DecodedFrame<T> = { ok: true; value: T } | { ok: false; reason: string; ref?: string };

function parseFrame<T>(schema: z.ZodType<T>, text: string): DecodedFrame<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const ref = typeof json === 'object' && json !== null && typeof (json as { type?: unknown }).type === 'string'
    ? (json as { type: string }).type.slice(0, 32)
    : undefined;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') + ': ' : '';
  return { ok: false, reason: `${where}${issue?.message ?? 'invalid'}`, ...(ref === undefined ? {} : { ref }) };
}

export function parseClientMessage(text: string): DecodedFrame<ClientMessage> {
  return parseFrame(clientMessageSchema, text);
}

export function parseServerMessage(text: string): DecodedFrame<ServerMessage> {
  return parseFrame(serverMessageSchema, text);
}
