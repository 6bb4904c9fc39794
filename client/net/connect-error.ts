/**
 * Why `VoiceSession.connect()` failed, as a code the app can switch on (the
 * message is the detail: the server's or the browser's words, or the close
 * reason). Misuse — calling connect() twice — is a plain Error, not this.
 */
import type { ServerMessageOf } from '../../shared/control/protocol.ts';

export type ConnectFailure =
  /** The control lane never opened: nothing answered at the address. */
  | 'unreachable'
  /** The browser refused to open the socket (a malformed address, a page policy): the message is its own. */
  | 'bad-address'
  /** The server speaks another protocol version; the message is its own (it names both versions). */
  | 'protocol-version'
  /** The server refused the hello (`access-denied`); `denial` holds its reason. */
  | 'denied'
  /** The lane closed before the welcome for another reason (by the server, or `close()` on this side). */
  | 'closed';

export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  readonly reason: ConnectFailure;
  /** The server's refusal, when `reason` is 'denied'. */
  readonly denial: ServerMessageOf<'access-denied'> | null;

  constructor(reason: ConnectFailure, message: string, options: { cause?: unknown; denial?: ServerMessageOf<'access-denied'> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.denial = options.denial ?? null;
  }
}
