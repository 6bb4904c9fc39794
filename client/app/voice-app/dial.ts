/**
 * One connection attempt: a VoiceSession to the requested server, and a
 * `connect()` that resolves on the server's welcome or rejects with an Error
 * whose message is meant for people (unreachable, blocked by the page's
 * policy, another protocol version, refused — with the server's reason in the
 * app's words). Subscribe to the session before calling `connect()`: the
 * welcome comes through its events.
 */
import { controlUrl, createBrowserVoiceSession } from '../../browser/browser-voice-session.ts';
import { hostPort, type HostPort } from '../../../shared/net/host-port.ts';
import { ConnectError } from '../../net/connect-error.ts';
import type { VoiceSession } from '../../net/voice-session.ts';
import { describeBlocked, describeConnectFailure, describeTimeout } from './messages.ts';

/** How long a connection attempt may go unanswered before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 15_000;
/** How often the lanes' round-trip times are measured while connected (the control lane's by the session itself). */
export const RTT_PERIOD_MS = 2000;

export interface ConnectRequest extends HostPort {
  nickname: string;
  /** Account password ('' joins as a guest); kept with bookmarks. */
  password: string;
  /** Register `nickname` with `password` first (never kept with bookmarks). */
  register: boolean;
}

export interface Dial {
  session: VoiceSession;
  connect(): Promise<void>;
}

export function dial(request: ConnectRequest): Dial {
  const url = controlUrl(request);
  const where = hostPort(request);
  // The session pings the control lane itself; every RTT_PERIOD_MS keeps the TCP RTT in the header fresh.
  const nickname = request.nickname.trim();
  const session = createBrowserVoiceSession({
    url,
    nickname,
    password: request.password,
    register: request.register && request.password !== '',
    pingIntervalMs: RTT_PERIOD_MS,
  });
  return {
    session,
    async connect() {
      let failure: string | null = null;
      // Two failures the socket never reports with a close: a page policy that blocks the
      // address (Chromium fires only 'error'), and a host that swallows packets (minutes of silence).
      const giveUp = (text: string): void => {
        failure ??= text;
        session.close(text);
      };
      const timer = setTimeout(() => giveUp(describeTimeout(where, CONNECT_TIMEOUT_MS)), CONNECT_TIMEOUT_MS);
      const origin = new URL(url).origin;
      const onViolation = (e: SecurityPolicyViolationEvent): void => {
        if (e.blockedURI.startsWith(origin)) giveUp(describeBlocked(request));
      };
      document.addEventListener('securitypolicyviolation', onViolation);
      try {
        await session.connect();
      } catch (error) {
        if (!(error instanceof ConnectError)) throw error;
        // Our own give-up closed the session: its reason, not the 'closed' that followed.
        throw new Error(failure ?? describeConnectFailure(error, where, nickname), { cause: error });
      } finally {
        clearTimeout(timer);
        document.removeEventListener('securitypolicyviolation', onViolation);
      }
    },
  };
}
