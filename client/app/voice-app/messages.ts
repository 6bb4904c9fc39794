/** What the app says when something goes wrong, in one place. */
import type { Role } from '../../../shared/auth/roles.ts';
import { MIN_ACCOUNT_PASSWORD_LENGTH, type AccessDeniedReason, type ServerMessageOf } from '../../../shared/control/protocol.ts';
import { assertNever } from '../../../shared/util/result.ts';
import type { EngineProblem } from '../../audio/engine-api.ts';
import type { ConnectError } from '../../net/connect-error.ts';
import type { VoiceSession } from '../../net/voice-session.ts';
import { hostPort, type HostPort } from '../../../shared/net/host-port.ts';
import { capitalise, describeWait, sentence } from '../shared/wording.ts';

/** Why connect() failed, for the connect view; `where` is host:port, `nickname` the name tried. */
export function describeConnectFailure(error: ConnectError, where: string, nickname: string): string {
  const detail = error.message;
  switch (error.reason) {
    case 'unreachable':
      return `Server unreachable: nothing answered at ${where}. Check the address and port, and that the server is running.`;
    case 'bad-address':
      return `Could not connect to ${where}: ${detail}`;
    case 'protocol-version':
      return `This server speaks a different protocol version (${detail}). Reload the page to get the latest client, or connect to a server of the same version.`;
    case 'denied':
      // The server said why it refused the hello (bad password, banned…): that, not a generic refusal.
      return error.denial === null ? `The server refused the connection: ${detail}.` : describeAccessDenied(error.denial, nickname);
    case 'closed':
      return `The server refused the connection: ${detail}.`;
    default:
      return assertNever(error.reason, 'connect failure');
  }
}

export function describeTimeout(where: string, ms: number): string {
  return `Server unreachable: no answer from ${where} within ${Math.round(ms / 1000)} s. Check the address and port, and that the server is running.`;
}

/**
 * The page's Content-Security-Policy blocked the control lane. voice-app's own policy allows
 * WebSockets to any server; a stricter one (set by a reverse proxy, say) may not.
 */
export function describeBlocked(address: HostPort): string {
  const page = `${location.protocol}//${hostPort(address)}/`;
  return `Server unreachable from this page: its security policy blocks connections to other servers. Open ${page} to use that server.`;
}

/** The engine words its problems for people (client/audio/audio-engine.ts); one place for that wording. */
export function describeEngineProblem(problem: EngineProblem): string {
  return capitalise(problem.message);
}

export function describeJoinDenied(channel: string, message: string): string {
  return `Can't join ${channel}: ${message}`;
}

export function channelLabel(session: VoiceSession, channelId: number): string {
  return session.roster.channels.get(channelId)?.name ?? `channel ${channelId}`;
}

// ---- accounts: refusals and removals -------------------------------------------------

/** One sentence per reason the server gives; every known reason must have one (the Record sees to it). */
const ACCESS_DENIED: Record<AccessDeniedReason, (d: AccessDenial, nickname: string) => string> = {
  'bad-credentials': () =>
    'Wrong name or password. Check the password (it is case-sensitive), or leave it empty to join as a guest under a name nobody has registered.',
  'name-registered': (_, nick) => `“${nick}” is a registered name. Enter its password to log in, or choose another nickname to join as a guest.`,
  'name-taken': (_, nick) => `“${nick}” is already registered. To log in, untick “Register this name” and enter its password; to register, choose another name.`,
  'guests-not-allowed': () => 'This server admits registered users only. Enter your account password to log in.',
  'registration-closed': () => 'This server does not let people register themselves. Ask its admin for an account, or untick “Register this name” to join as a guest.',
  'weak-password': () => `That password is too weak to register: use at least ${MIN_ACCOUNT_PASSWORD_LENGTH} characters.`,
  // The server's message names the ban's reason and end ("you are banned from this server until …: spam").
  banned: (d) => {
    const when = d.retryAfterMs === undefined ? '' : ` You can connect again in ${describeWait(d.retryAfterMs)}.`;
    return `${sentence(d.message) || 'You are banned from this server.'}${when}`;
  },
  'rate-limited': (d) =>
    `Too many failed logins from here or for this name. ${d.retryAfterMs === undefined ? 'Wait a few minutes' : `Try again in ${describeWait(d.retryAfterMs)}`}.`,
  busy: (d) => `The server is busy checking other passwords. Try again in ${d.retryAfterMs === undefined ? 'a few seconds' : describeWait(d.retryAfterMs)}.`,
};

type AccessDenial = ServerMessageOf<'access-denied'>;
type Removal = ServerMessageOf<'removed'>;

function isAccessDeniedReason(reason: string): reason is AccessDeniedReason {
  return Object.hasOwn(ACCESS_DENIED, reason);
}

/** What the connect view says when the server refused the hello. */
export function describeAccessDenied(denial: AccessDenial, nickname: string): string {
  if (isAccessDeniedReason(denial.reason)) return ACCESS_DENIED[denial.reason](denial, nickname);
  // A reason newer than this client: the server's own words.
  return `The server refused the connection: ${sentence(denial.message) || denial.reason}`;
}

/**
 * What the connect view says after a kick or a ban: who did it, then the server's own sentence,
 * which carries the reason ("you were kicked: calm down", "you are banned … until …: spam").
 */
export function describeRemoval(removal: Removal): string {
  const who = removal.by === null ? 'Removed from the server.' : `Removed from the server by ${removal.by}.`;
  const why = sentence(removal.message);
  if (why) return `${who} ${why}`;
  switch (removal.reason) {
    case 'kicked':
      return `${who} You were kicked.`;
    case 'banned':
      return `${who} You are banned.`;
    default:
      return who;
  }
}

/** Why the session ended, in the connect view's words: a denial or removal if the server said one. */
export function describeSessionEnd(denial: AccessDenial | Removal | null, nickname: string, reason: string): string {
  if (denial?.type === 'access-denied') return describeAccessDenied(denial, nickname);
  if (denial?.type === 'removed') return describeRemoval(denial);
  return `Disconnected: ${reason}.`;
}

/** A channel's least role, as its badge in the tree says it; null when anyone may join. */
export function channelRoleBadge(role: Role | undefined): string | null {
  switch (role) {
    case undefined:
    case 'guest':
      return null;
    case 'member':
      return 'members';
    case 'moderator':
      return 'mods';
    case 'admin':
      return 'admins';
    default:
      return assertNever(role, 'role');
  }
}

/** A person's role, as the badge next to their name says it; null for guests and members (most people). */
export function userRoleBadge(role: Role | undefined): string | null {
  switch (role) {
    case undefined:
    case 'guest':
    case 'member':
      return null;
    case 'moderator':
      return 'mod';
    case 'admin':
      return 'admin';
    default:
      return assertNever(role, 'role');
  }
}

/** Under the chat when the server delivered a message but could not store it (error code 'storage'). */
export const STORAGE_NOTICE = 'Sent, but the server could not save it: it will not be in the channel’s history.';
