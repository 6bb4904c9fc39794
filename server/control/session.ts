/**
 * A session: one user on the server, from hello until they leave or their
 * resume grace runs out. It outlives its control socket (resume) and its peer
 * connection (renegotiation). Owned by SessionManager; see docs/architecture.md.
 */
import type { ClientMessageOf, RtcRenewReason, ServerMessage, UserInfo } from '../../shared/control/protocol.ts';
import type { Role } from '../../shared/auth/roles.ts';
import type { RemotePeer } from '../shards/remote-peer.ts';

/** What the session layer needs from a control connection. */
export interface ControlLink {
  send(message: ServerMessage): void;
  /** Sends a frame serialised once for many receivers. */
  sendRaw(json: string): void;
  close(code: number, reason: string): void;
  /** The client's address as the control lane sees it (ICE candidates are held to it). */
  readonly remoteAddress: string;
}

/** Who a session is: an account (id, canonical name, role) or a guest. */
export interface SessionIdentity {
  nickname: string;
  userId: number | null;
  role: Role;
}

export class Session {
  readonly token: number;
  readonly nickname: string;
  /** The account logged in, or null for a guest. */
  readonly userId: number | null;
  /** Changes when an admin edits the account. */
  role: Role;
  /** The address of the control lane it came in on last (hello or resume); bans and the admin API read it. */
  address: string;
  /** ms since the Unix epoch. */
  readonly connectedAt = Date.now();
  /** SHA-256 of the current resume secret; the secret itself is never stored. */
  resumeSecretHash: Buffer;
  channelId: number;
  selfMute = false;
  selfDeaf = false;
  link: ControlLink | null;
  /** The current peer connection; the real one lives in the relay shard of the session's channel. */
  peer: RemotePeer | null = null;
  /** Bumped on every offer, and when the peer must move shards, so a slow answer for an older offer is discarded. */
  offerGeneration = 0;
  /** An `rtc-renew` owed to a session in grace (its peer was closed meanwhile): sent after `resumed`. */
  renewPending: RtcRenewReason | null = null;
  /**
   * A join's password is being checked (asynchronously). Joins that arrive
   * meanwhile wait in `joinQueue` and are handled in order afterwards, so
   * every join gets one answer, in the order sent, and a session checks one
   * password at a time.
   */
  joinPending = false;
  readonly joinQueue: ClientMessageOf<'join'>[] = [];
  graceTimer: NodeJS.Timeout | null = null;
  ended = false;

  constructor(token: number, identity: SessionIdentity, resumeSecretHash: Buffer, channelId: number, link: ControlLink) {
    this.token = token;
    this.nickname = identity.nickname;
    this.userId = identity.userId;
    this.role = identity.role;
    this.address = link.remoteAddress;
    this.resumeSecretHash = resumeSecretHash;
    this.channelId = channelId;
    this.link = link;
  }

  info(): UserInfo {
    return {
      sessionToken: this.token,
      nickname: this.nickname,
      channelId: this.channelId,
      selfMute: this.selfMute,
      selfDeaf: this.selfDeaf,
      role: this.role,
      registered: this.userId !== null,
    };
  }
}
