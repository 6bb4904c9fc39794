/**
 * One control WebSocket. Frames are size-capped by the server (ws maxPayload),
 * parsed and validated here, rate limited, and dispatched through one
 * exhaustive switch; nothing reaches the session layer unvalidated.
 */
import type { WebSocket } from 'ws';
import {
  CloseCode,
  PROTOCOL_VERSION,
  parseClientMessage,
  type ClientMessage,
  type ClientMessageOf,
  type ErrorCode,
  type ServerMessage,
} from '../../shared/control/protocol.ts';
import { TokenBucket } from '../../shared/util/token-bucket.ts';
import { assertNever } from '../../shared/util/result.ts';
import type { SessionManager } from './session-manager.ts';
import type { ControlLink, Session } from './session.ts';
import { banDenial, type Denial, type Gatekeeper } from '../auth/gatekeeper.ts';
import { createLogger } from '../util/log.ts';

const log = createLogger('control');

/** Mumble's defaults for chat-like messages: a burst of 5, then 1 per second. */
export const CHATTY_BURST = 5;
export const CHATTY_PER_SECOND = 1;
/** Every message (signalling and pings included). */
export const ANY_BURST = 40;
export const ANY_PER_SECOND = 20;
/** Bad or rate-limited messages tolerated before the socket is closed: a burst of 20, then 1 per second. */
export const ABUSE_BURST = 20;
export const ABUSE_PER_SECOND = 1;
/** WebRTC signalling (offers and trickled candidates): each one can start ICE work on the server. */
export const SIGNAL_BURST = 12;
export const SIGNAL_PER_SECOND = 2;

export interface ControlCounters {
  connections: number;
  messagesIn: number;
  invalid: number;
  rateLimited: number;
  closedForAbuse: number;
}

export class ControlConnection implements ControlLink {
  readonly #ws: WebSocket;
  readonly #sessions: SessionManager;
  readonly #counters: ControlCounters;
  readonly #gatekeeper: Gatekeeper;
  #session: Session | null = null;
  /** A hello is being decided (password hashing is asynchronous); a second one is refused. */
  #greeting = false;
  #alive = true;
  /** Set when the server closes this socket itself; the code the client echoes back is not trusted. */
  #serverClose: number | null = null;
  #handshakeTimer: NodeJS.Timeout | null;
  readonly #any: TokenBucket;
  readonly #chatty: TokenBucket;
  readonly #abuse: TokenBucket;
  readonly #signal: TokenBucket;

  readonly remoteAddress: string;

  constructor(
    ws: WebSocket,
    remoteAddress: string,
    sessions: SessionManager,
    gatekeeper: Gatekeeper,
    counters: ControlCounters,
    handshakeTimeoutMs: number,
  ) {
    this.#ws = ws;
    this.remoteAddress = remoteAddress;
    this.#sessions = sessions;
    this.#gatekeeper = gatekeeper;
    this.#counters = counters;
    const now = Date.now();
    this.#any = new TokenBucket(ANY_PER_SECOND, ANY_BURST, now);
    this.#chatty = new TokenBucket(CHATTY_PER_SECOND, CHATTY_BURST, now);
    this.#abuse = new TokenBucket(ABUSE_PER_SECOND, ABUSE_BURST, now);
    this.#signal = new TokenBucket(SIGNAL_PER_SECOND, SIGNAL_BURST, now);
    this.#handshakeTimer = setTimeout(() => this.close(CloseCode.handshakeTimeout, 'no hello within the handshake timeout'), handshakeTimeoutMs);
    ws.on('message', (data, isBinary) => this.#onFrame(data as Buffer, isBinary));
    ws.on('pong', () => {
      this.#alive = true;
    });
    ws.on('close', (code) => this.#onClose(code));
    ws.on('error', (error) => log.debug('socket error', { error }));
  }

  /** Heartbeat tick: terminates the socket if the previous ping got no pong. */
  heartbeat(): void {
    if (!this.#alive) {
      log.info('heartbeat missed; dropping control lane', { token: this.#session?.token });
      this.#ws.terminate();
      return;
    }
    this.#alive = false;
    try {
      this.#ws.ping();
    } catch {
      this.#ws.terminate();
    }
  }

  send(message: ServerMessage): void {
    this.sendRaw(JSON.stringify(message));
  }

  sendRaw(json: string): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(json);
  }

  close(code: number, reason: string): void {
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    this.#serverClose ??= code;
    if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING) this.#ws.close(code, reason);
  }

  /** Cuts the TCP connection without a close frame, as a network failure would (tests, heartbeat). */
  terminate(): void {
    this.#ws.terminate();
  }

  get session(): Session | null {
    return this.#session;
  }

  #error(code: ErrorCode, message: string, ref?: string): void {
    this.send({ type: 'error', code, message, ...(ref === undefined ? {} : { ref }) });
  }

  #strike(): boolean {
    if (this.#abuse.take(Date.now())) return false;
    this.#counters.closedForAbuse++;
    log.warn('closing control lane for abuse', { token: this.#session?.token });
    this.close(CloseCode.abuse, 'too many invalid or rate-limited messages');
    // The session ends now, not when the client gets round to answering the close.
    const session = this.#session;
    this.#session = null;
    if (session && session.link === this) this.#sessions.end(session, 'abuse');
    return true;
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    if (this.#serverClose !== null) return; // closing: nothing more is applied
    this.#counters.messagesIn++;
    const now = Date.now();
    if (isBinary) {
      this.#counters.invalid++;
      if (!this.#strike()) this.#error('bad-message', 'control frames are JSON text');
      return;
    }
    const parsed = parseClientMessage(data.toString('utf8'));
    if (!parsed.ok) {
      this.#counters.invalid++;
      if (!this.#strike()) this.#error('bad-message', parsed.reason, parsed.ref);
      return;
    }
    const msg = parsed.value;
    const chatty = msg.type === 'chat' || msg.type === 'join' || msg.type === 'set-self';
    const signal = msg.type === 'rtc-offer' || msg.type === 'rtc-candidate';
    if (!this.#any.take(now) || (chatty && !this.#chatty.take(now)) || (signal && !this.#signal.take(now))) {
      this.#counters.rateLimited++;
      if (!this.#strike()) this.#error('rate-limited', 'too many messages; this one was dropped', msg.type);
      return;
    }
    try {
      this.#dispatch(msg);
    } catch (error) {
      this.#failed(msg.type, error);
    }
  }

  /** A bug in a handler costs this message, not the process or the other sessions. */
  #failed(type: string, error: unknown): void {
    log.error('control handler failed', { type, token: this.#session?.token, error });
    this.#error('internal', 'the server failed to handle this message; it was not applied', type);
  }

  #dispatch(msg: ClientMessage): void {
    switch (msg.type) {
      case 'hello':
        if (this.#session || this.#greeting) return this.#error('already-greeted', 'this connection already has a session', msg.type);
        if (msg.protocol !== PROTOCOL_VERSION) {
          this.#error('protocol-version', `this server speaks protocol ${PROTOCOL_VERSION}, the client ${msg.protocol}`, msg.type);
          return this.close(CloseCode.protocolError, 'protocol version mismatch');
        }
        this.#greet(msg).catch((error: unknown) => {
          this.#greeting = false;
          this.#failed(msg.type, error);
          // No session and no handshake timer any more: a socket left open here would idle for ever.
          this.close(CloseCode.internalError, 'the server failed to decide this hello');
        });
        return;
      case 'resume': {
        if (this.#session || this.#greeting) return this.#error('already-greeted', 'this connection already has a session', msg.type);
        // A resume skips the hello's admission, not its bans: a lane back from a banned address (or for a
        // banned account) is refused — asked once the secret has matched, so a guessed token learns nothing.
        const session = this.#sessions.resume(this, msg, (s) => {
          const now = Date.now();
          const ban = this.#gatekeeper.bannedAt(this.remoteAddress, s.userId, now);
          if (ban) this.#deny(banDenial(ban, now), s.nickname);
          return ban === null;
        });
        if (session) this.#greeted(session);
        return;
      }
      case 'ping':
        this.send({ type: 'pong', id: msg.id, clientTime: msg.clientTime, serverTime: Date.now() });
        return;
      case 'join':
      case 'chat':
      case 'set-self':
      case 'rtc-offer':
      case 'rtc-candidate':
        break;
      default:
        assertNever(msg, 'client message');
    }
    const session = this.#session;
    if (!session) return this.#error('not-ready', 'send hello or resume first', msg.type);
    switch (msg.type) {
      case 'join':
        return this.#sessions.join(session, msg);
      case 'chat':
        return this.#sessions.chat(session, msg);
      case 'set-self':
        return this.#sessions.setSelf(session, msg);
      case 'rtc-offer':
        this.#sessions.offer(session, msg.sdp).catch((error: unknown) => this.#failed(msg.type, error));
        return;
      case 'rtc-candidate':
        this.#sessions.candidate(session, msg).catch((error: unknown) => this.#failed(msg.type, error));
        return;
      default:
        assertNever(msg, 'session message');
    }
  }

  /** Decides a hello (ban, login, registration, guest) and starts the session or refuses with a reason. */
  async #greet(msg: ClientMessageOf<'hello'>): Promise<void> {
    this.#greeting = true;
    // The handshake timeout is for silent sockets; a hello waiting on the password hasher is not one.
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    let verdict = await this.#gatekeeper.admit(msg, this.remoteAddress, Date.now());
    this.#greeting = false;
    if (this.#serverClose !== null || this.#ws.readyState !== this.#ws.OPEN) return; // gone while we decided
    if (verdict.ok) {
      // Bans again, with no await from here to create: one made while a password was hashed
      // (a registration checks before its hash only) is not missed.
      const now = Date.now();
      const ban = this.#gatekeeper.bannedAt(this.remoteAddress, verdict.account?.id ?? null, now);
      if (ban) verdict = banDenial(ban, now);
    }
    if (!verdict.ok) {
      this.#deny(verdict, msg.nickname);
      return;
    }
    const account = verdict.account;
    this.#greeted(
      this.#sessions.create(this, account === null ? { nickname: msg.nickname, userId: null, role: 'guest' } : { nickname: account.name, userId: account.id, role: account.role }),
    );
  }

  /** Refuses a hello or a resume: access-denied with the reason, then close 4004. */
  #deny(denial: Denial, nickname: string): void {
    const { reason, message, retryAfterMs } = denial;
    this.send({ type: 'access-denied', reason, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
    log.info('access refused', { address: this.remoteAddress, nickname, reason });
    this.close(CloseCode.denied, reason);
  }

  #greeted(session: Session): void {
    this.#session = session;
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
  }

  #onClose(code: number): void {
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    const session = this.#session;
    this.#session = null;
    if (!session || session.link !== this) return;
    if (this.#serverClose === CloseCode.abuse) this.#sessions.end(session, 'abuse');
    // 1000 from the client is a goodbye; anything else is a lost lane that may resume.
    else if (this.#serverClose === null && code === CloseCode.normal) this.#sessions.end(session, 'quit');
    else this.#sessions.detach(session, this);
  }
}
