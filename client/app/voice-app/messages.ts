/** What the app says when something goes wrong, in one place. */
import type { EngineProblem } from '../../audio/engine-api.ts';
import type { VoiceSession } from '../../net/voice-session.ts';
import type { ServerAddress } from '../../browser/browser-voice-session.ts';

/** VoiceSession's reason when the socket closed before the server's welcome. */
const UNREACHABLE = 'the server could not be reached';

export function describeConnectFailure(error: Error, versionMismatch: string | null, where: string): string {
  const reason = error.message;
  if (versionMismatch !== null) {
    return `This server speaks a different protocol version (${versionMismatch}). Reload the page to get the latest client, or connect to a server of the same version.`;
  }
  if (reason === UNREACHABLE) {
    return `Server unreachable: nothing answered at ${where}. Check the address and port, and that the server is running.`;
  }
  // The browser itself refused to open the socket (a bad address, or a page policy).
  if (error.name === 'SecurityError' || error.name === 'SyntaxError') return `Could not connect to ${where}: ${reason}`;
  return `The server refused the connection: ${reason}.`;
}

export function describeTimeout(where: string, ms: number): string {
  return `Server unreachable: no answer from ${where} within ${Math.round(ms / 1000)} s. Check the address and port, and that the server is running.`;
}

/**
 * The page's Content-Security-Policy blocked the control lane. voice-app's own policy allows
 * WebSockets to any server; a stricter one (set by a reverse proxy, say) may not.
 */
export function describeBlocked(address: ServerAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const page = `${location.protocol}//${host}:${address.port}/`;
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

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
