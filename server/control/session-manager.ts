/**
 * Owns every session and the membership state the relay routes by. Control
 * messages arrive here already validated; each change is applied to the
 * session, pushed to the relay shards (setMember / createPeer / removeMember) and
 * told to the clients that should know. The relay never calls back into this:
 * a session whose voice must move to another shard is seen in setMember's
 * answer, and a restarted shard is reported by app.ts through renewPeers.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  CloseCode,
  MAX_CHAT_LENGTH,
  PROTOCOL_VERSION,
  type ChannelInfo,
  type ClientMessageOf,
  type JoinDeniedReason,
  type LeaveReason,
  type RemovedReason,
  type RtcRenewReason,
  type ServerMessage,
} from '../../shared/control/protocol.ts';
import { roleAtLeast, type Role } from '../../shared/auth/roles.ts';
import type { ChatHistory } from '../chat/chat-history.ts';
import { addressKey, BUSY_MESSAGE } from '../auth/gatekeeper.ts';
import { LoginThrottle, type LoginThrottleOptions } from '../auth/login-throttle.ts';
import type { ChannelDirectory } from '../channels/channel-directory.ts';
import type { RelayShards } from '../shards/relay-shards.ts';
import { createLogger } from '../util/log.ts';
import { BusyError } from '../util/errors.ts';
import { Session, type ControlLink, type SessionIdentity } from './session.ts';

const log = createLogger('sessions');

/** Joins a session may have waiting behind a password check before more are refused (the chatty rate limit allows 5 at once). */
const MAX_QUEUED_JOINS = 8;

/**
 * Wrong channel passwords, counted per client address (addressKey: IPv6 per
 * /64), any channel, any session: 5 within a minute block that address's
 * channel passwords for a minute. Checks still running count too
 * (LoginThrottle.begin), so sessions opened side by side from one address get
 * 5 hashes between them, not one each.
 */
export const CHANNEL_PASSWORD_THROTTLE: Partial<LoginThrottleOptions> = Object.freeze({ maxFailures: 5, windowMs: 60_000, blockMs: 60_000 });

export interface SessionManagerOptions {
  serverName: string;
  resumeGraceMs: number;
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export class SessionManager {
  readonly #sessions = new Map<number, Session>();
  readonly #channels: ChannelDirectory;
  readonly #relay: RelayShards;
  readonly #options: SessionManagerOptions;
  readonly #chat: ChatHistory;
  readonly #passwordThrottle = new LoginThrottle(CHANNEL_PASSWORD_THROTTLE);
  /** Set by closeAll(): lost lanes no longer start a grace period. */
  #closed = false;

  constructor(channels: ChannelDirectory, relay: RelayShards, chat: ChatHistory, options: SessionManagerOptions) {
    this.#channels = channels;
    this.#relay = relay;
    this.#chat = chat;
    this.#options = options;
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(token: number): Session | undefined {
    return this.#sessions.get(token);
  }

  sessions(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  // ---- session life cycle ---------------------------------------------------

  /** hello, once admitted (server/auth/gatekeeper.ts): a new session in the default channel. */
  create(link: ControlLink, identity: SessionIdentity): Session {
    const token = this.#newToken();
    const secret = randomBytes(32).toString('base64url');
    const session = new Session(token, identity, hashSecret(secret), this.#channels.rootId, link);
    this.#sessions.set(token, session);
    this.#pushMember(session); // a new member: nothing to move
    link.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      serverName: this.#options.serverName,
      sessionToken: token,
      channelId: session.channelId,
      channels: this.#channels.list(),
      users: this.#users(),
      resumeSecret: secret,
      resumeGraceMs: this.#options.resumeGraceMs,
      maxChatLength: MAX_CHAT_LENGTH,
    });
    this.#sendHistory(session);
    this.#broadcast({ type: 'user-joined', user: session.info() }, session);
    log.info('session started', { token, nickname: session.nickname, userId: session.userId, role: session.role });
    return session;
  }

  /**
   * resume: re-attach a session that is in its grace period (or whose old
   * socket is still half-open). `admit` is asked once the secret has matched
   * and before anything changes; false refuses the resume (admit has answered
   * the link), and the session stays as it was.
   */
  resume(link: ControlLink, message: ClientMessageOf<'resume'>, admit: (session: Session) => boolean): Session | null {
    if (message.protocol !== PROTOCOL_VERSION) {
      link.send({ type: 'resume-denied', reason: 'protocol-version', message: `this server speaks protocol ${PROTOCOL_VERSION}` });
      return null;
    }
    const session = this.#sessions.get(message.sessionToken);
    if (!session) {
      link.send({ type: 'resume-denied', reason: 'unknown-session', message: 'no such session (it may have expired)' });
      return null;
    }
    const presented = hashSecret(message.resumeSecret);
    if (!timingSafeEqual(presented, session.resumeSecretHash)) {
      link.send({ type: 'resume-denied', reason: 'bad-secret', message: 'the resume secret does not match' });
      log.warn('resume refused: bad secret', { token: session.token });
      return null;
    }
    if (!admit(session)) return null;
    if (session.graceTimer) {
      clearTimeout(session.graceTimer);
      session.graceTimer = null;
    }
    const old = session.link;
    session.link = link;
    session.address = link.remoteAddress;
    old?.close(CloseCode.superseded, 'superseded by a resumed connection');
    const secret = randomBytes(32).toString('base64url');
    session.resumeSecretHash = hashSecret(secret);
    link.send({
      type: 'resumed',
      sessionToken: session.token,
      channelId: session.channelId,
      channels: this.#channels.list(),
      users: this.#users(),
      resumeSecret: secret,
    });
    if (session.renewPending) {
      link.send({ type: 'rtc-renew', reason: session.renewPending });
      session.renewPending = null;
    }
    log.info('session resumed', { token: session.token });
    return session;
  }

  /** The control socket of `session` went away without a goodbye: keep the session for the grace period. */
  detach(session: Session, link: ControlLink): void {
    if (session.ended || session.link !== link) return;
    session.link = null;
    if (this.#closed) return;
    if (this.#options.resumeGraceMs === 0) {
      this.end(session, 'timeout');
      return;
    }
    session.graceTimer = setTimeout(() => {
      session.graceTimer = null;
      this.end(session, 'timeout');
    }, this.#options.resumeGraceMs);
    log.info('control lane lost; session in grace', { token: session.token, graceMs: this.#options.resumeGraceMs });
  }

  /** Ends a session for good and tells everyone. Idempotent. */
  end(session: Session, reason: LeaveReason): void {
    if (session.ended) return;
    session.ended = true;
    session.joinQueue.length = 0;
    if (session.graceTimer) clearTimeout(session.graceTimer);
    session.graceTimer = null;
    this.#sessions.delete(session.token);
    this.#relay.removeMember(session.token);
    session.peer?.close();
    session.peer = null;
    const link = session.link;
    session.link = null;
    const code = reason === 'server-shutdown' ? CloseCode.goingAway : reason === 'kicked' || reason === 'banned' ? CloseCode.removed : CloseCode.normal;
    link?.close(code, reason);
    this.#broadcast({ type: 'user-left', sessionToken: session.token, reason });
    log.info('session ended', { token: session.token, reason });
  }

  /**
   * Kick or ban: tells the user why (and who), then ends the session — its
   * control lane closes with CloseCode.removed and its peer connection goes.
   */
  remove(session: Session, reason: RemovedReason, message: string, by: string | null): void {
    if (session.ended) return;
    session.link?.send({ type: 'removed', reason, message, by });
    log.info('session removed', { token: session.token, reason, by });
    this.end(session, reason);
  }

  // ---- changes made through the admin API ------------------------------------

  /** A channel was created or edited: everyone hears of it; its members take a new voice config at once. */
  channelChanged(channel: ChannelInfo): void {
    this.#broadcast({ type: 'channel-updated', channel });
    for (const s of this.#sessions.values()) if (s.channelId === channel.id) this.#pushMember(s); // same channel, same shard
  }

  /** Channels were deleted (`ids` deepest first): their members go to the root first, then everyone hears. */
  channelsRemoved(ids: readonly number[]): void {
    const gone = new Set(ids);
    const root = this.#channels.get(this.#channels.rootId);
    if (!root) throw new Error('the root channel is missing');
    for (const s of this.#sessions.values()) if (gone.has(s.channelId)) this.#move(s, root);
    for (const id of ids) this.#broadcast({ type: 'channel-removed', channelId: id });
  }

  /** An account's role changed: its sessions take it at once (checked at their next join). */
  roleChanged(userId: number, role: Role): void {
    for (const s of this.#sessions.values()) {
      if (s.userId !== userId || s.role === role) continue;
      s.role = role;
      this.#broadcast({ type: 'user-role', sessionToken: s.token, role });
    }
  }

  /** Sessions logged in to `userId`. */
  sessionsOf(userId: number): Session[] {
    return [...this.#sessions.values()].filter((s) => s.userId === userId);
  }

  // ---- session requests -----------------------------------------------------

  /**
   * join: move to a channel. A locked channel's password is checked off the
   * event loop (Argon2); joins sent meanwhile queue behind it, so they are
   * answered in order and each session checks one password at a time. What
   * was checked before the wait is checked again after it.
   */
  join(session: Session, message: ClientMessageOf<'join'>): void {
    if (session.ended) return;
    if (!session.joinPending) {
      this.#join(session, message);
      return;
    }
    if (session.joinQueue.length >= MAX_QUEUED_JOINS) {
      // Dropped like a join over the chatty limit: an answer now would overtake the queued joins' answers.
      session.link?.send({ type: 'error', code: 'rate-limited', message: 'too many joins waiting; this one was dropped', ref: 'join' });
      return;
    }
    session.joinQueue.push(message);
  }

  #join(session: Session, message: ClientMessageOf<'join'>): void {
    const channel = this.#channels.get(message.channelId);
    if (!channel) {
      this.#denyJoin(session, message.channelId, 'no-such-channel', 'that channel does not exist');
      return;
    }
    if (session.channelId === channel.id) {
      session.link?.send({ type: 'joined', channelId: channel.id });
      return;
    }
    if (this.#refuse(session, channel)) return;
    if (!channel.locked) {
      this.#move(session, channel);
      return;
    }
    if (message.password === undefined || message.password === '') {
      this.#denyJoin(session, channel.id, 'password-required', `${channel.name} is locked: enter its password`);
      return;
    }
    const throttleKey = addressKey(session.address);
    const waitMs = this.#passwordThrottle.begin(throttleKey, performance.now());
    if (waitMs > 0) {
      this.#denyJoin(session, channel.id, 'rate-limited', `too many wrong passwords: wait ${Math.ceil(waitMs / 1000)} s before trying again`);
      return;
    }
    session.joinPending = true;
    void this.#joinLocked(session, channel, message, throttleKey);
  }

  /** Refuses the join (and says so) if the session's role is too low or the channel is full. */
  #refuse(session: Session, channel: ChannelInfo): boolean {
    const least = channel.requiredRole ?? 'guest';
    if (!roleAtLeast(session.role, least)) this.#denyJoin(session, channel.id, 'insufficient-role', `${channel.name} is for ${least}s and above`);
    else if (this.#isFull(channel)) this.#denyJoin(session, channel.id, 'channel-full', `${channel.name} is full (${channel.maxUsers} users)`);
    else return false;
    return true;
  }

  /**
   * The asynchronous half of a join to a locked channel; ends the throttle
   * attempt `#join` began under `throttleKey` and settles the session's join
   * queue whatever happens. A wrong password counts as a failure even when
   * its answer is never sent (the session left, or the channel changed).
   */
  async #joinLocked(session: Session, checked: ChannelInfo, message: ClientMessageOf<'join'>, throttleKey: string): Promise<void> {
    const channelId = checked.id;
    let failed = false;
    try {
      let ok: boolean;
      try {
        ok = await this.#channels.checkPassword(channelId, message.password ?? '');
        failed = !ok;
      } catch (error) {
        if (!(error instanceof BusyError)) throw error;
        if (!session.ended) this.#denyJoin(session, channelId, 'rate-limited', BUSY_MESSAGE);
        return;
      }
      if (session.ended) return;
      // An admin may have deleted or edited the channel during the check (ChannelInfo is replaced,
      // never mutated): a new password, role or limit means the join is decided again from the start.
      const channel = this.#channels.get(channelId);
      if (!channel) {
        this.#denyJoin(session, channelId, 'no-such-channel', 'that channel does not exist');
        return;
      }
      if (channel !== checked) {
        session.joinQueue.unshift(message); // handled first by the drain below
        return;
      }
      if (!ok) {
        log.info('wrong channel password', { token: session.token, channelId });
        this.#denyJoin(session, channelId, 'wrong-password', `wrong password for ${channel.name}`);
        return;
      }
      // The check took a while: others may have filled the channel, or the session's role changed, meanwhile.
      if (!this.#refuse(session, channel)) this.#move(session, channel);
    } catch (error) {
      log.error('join failed', { token: session.token, channelId, error });
      session.link?.send({ type: 'error', code: 'internal', message: 'the server failed to handle this message; it was not applied', ref: 'join' });
    } finally {
      this.#passwordThrottle.end(throttleKey, failed, performance.now());
      session.joinPending = false;
      this.#drainJoins(session);
    }
  }

  /** Handles the joins that waited behind a password check, until one starts another check. */
  #drainJoins(session: Session): void {
    while (!session.joinPending && !session.ended) {
      const next = session.joinQueue.shift();
      if (!next) return;
      try {
        this.#join(session, next);
      } catch (error) {
        // As ControlConnection does for a handler that throws: this message is lost, not the queue.
        log.error('join failed', { token: session.token, channelId: next.channelId, error });
        session.link?.send({ type: 'error', code: 'internal', message: 'the server failed to handle this message; it was not applied', ref: 'join' });
      }
    }
  }

  #move(session: Session, channel: ChannelInfo): void {
    session.channelId = channel.id;
    // Before `joined`: a client that has seen its move has already started the new offer a shard change needs.
    if (this.#pushMember(session)) this.#renewPeer(session, 'moved');
    session.link?.send({ type: 'joined', channelId: channel.id });
    this.#sendHistory(session);
    this.#broadcast({ type: 'user-moved', sessionToken: session.token, channelId: channel.id }, session);
  }

  #sendHistory(session: Session): void {
    if (this.#chat.keep === 0) return;
    let messages;
    try {
      messages = this.#chat.recent(session.channelId);
    } catch (error) {
      log.error('chat history could not be read', { channelId: session.channelId, error });
      return;
    }
    session.link?.send({ type: 'chat-history', channelId: session.channelId, messages });
  }

  #denyJoin(session: Session, channelId: number, reason: JoinDeniedReason, message: string): void {
    session.link?.send({ type: 'join-denied', channelId, reason, message });
  }

  #isFull(channel: ChannelInfo): boolean {
    return channel.maxUsers > 0 && this.#countIn(channel.id) >= channel.maxUsers;
  }

  /** Stores the message (last N per channel) and delivers it to the channel; a failed store still delivers. */
  chat(session: Session, message: ClientMessageOf<'chat'>): void {
    const serverTime = Date.now();
    const { id, error } = this.#chat.append({
      channelId: session.channelId,
      userId: session.userId,
      nickname: session.nickname,
      text: message.text,
      createdAt: serverTime,
    });
    const frame = JSON.stringify({
      type: 'chat',
      id,
      channelId: session.channelId,
      sender: { sessionToken: session.token, nickname: session.nickname },
      text: message.text,
      serverTime,
    } satisfies ServerMessage);
    for (const s of this.#sessions.values()) {
      if (s.channelId === session.channelId) s.link?.sendRaw(frame);
    }
    if (error) {
      log.error('chat message not stored', { token: session.token, error });
      session.link?.send({ type: 'error', code: 'storage', message: 'your message was delivered but could not be saved to the history (the server may be out of disk space)', ref: 'chat' });
    }
  }

  setSelf(session: Session, message: ClientMessageOf<'set-self'>): void {
    session.selfMute = message.selfMute || message.selfDeaf; // deafening mutes too, as in Mumble
    session.selfDeaf = message.selfDeaf;
    this.#pushMember(session); // same channel, same shard
    this.#broadcast({ type: 'user-state', sessionToken: session.token, selfMute: session.selfMute, selfDeaf: session.selfDeaf });
  }

  /** rtc-offer: replaces the session's peer connection with a new one answering this offer, in its channel's shard. */
  async offer(session: Session, sdp: string): Promise<void> {
    if (session.ended) return; // it has left the relay: no shard would take the peer
    const generation = ++session.offerGeneration;
    this.#dropPeer(session);
    const token = session.token;
    const relay = this.#relay;
    // The shard binds the peer as the member's sink when its lane opens and unbinds it when it closes.
    const peer = relay.createPeer(token);
    peer.on('closed', () => {
      if (session.peer === peer) session.peer = null;
    });
    session.peer = peer;
    let answer: string;
    try {
      const answered = await peer.answer(sdp, session.link?.remoteAddress ?? '');
      if (answered.dropped > 0) log.debug('offer candidates not at the client\'s address (or over the cap) were dropped', { token, dropped: answered.dropped });
      answer = answered.sdp;
    } catch (error) {
      peer.close();
      if (session.peer === peer) session.peer = null;
      // Superseded meanwhile (a newer offer, a move to another shard, a restarted shard): nobody waits for this answer.
      if (session.ended || generation !== session.offerGeneration) return;
      log.warn('offer failed', { token, error });
      session.link?.send({ type: 'error', code: 'rtc-failed', message: `the offer could not be answered: ${(error as Error).message}`, ref: 'rtc-offer' });
      return;
    }
    if (session.ended || generation !== session.offerGeneration) {
      peer.close();
      return;
    }
    session.link?.send({ type: 'rtc-answer', sdp: answer });
  }

  async candidate(session: Session, message: ClientMessageOf<'rtc-candidate'>): Promise<void> {
    const peer = session.peer;
    if (!peer) return;
    try {
      // Held to the client's address and the per-peer cap by the peer itself, in its shard
      // (server/rtc/remote-candidates.ts); refused ones are ignored, end-of-candidates passes.
      await peer.addRemoteCandidate(message, session.link?.remoteAddress ?? '');
    } catch (error) {
      session.link?.send({ type: 'error', code: 'rtc-failed', message: `bad candidate: ${(error as Error).message}`, ref: 'rtc-candidate' });
    }
  }

  /**
   * The relay shard serving these sessions was restarted (app.ts hears it from
   * RelayShards): their peers are gone, so each is asked for a new offer.
   */
  renewPeers(tokens: readonly number[], reason: RtcRenewReason): void {
    for (const token of tokens) {
      const session = this.#sessions.get(token);
      if (session && !session.ended) this.#renewPeer(session, reason);
    }
  }

  /** Ends every session (SIGTERM). */
  closeAll(): void {
    this.#closed = true;
    for (const s of [...this.#sessions.values()]) this.end(s, 'server-shutdown');
  }

  // ---- internals --------------------------------------------------------------

  #dropPeer(session: Session): void {
    const old = session.peer;
    if (!old) return;
    session.peer = null;
    old.close();
  }

  /** Pushes the session's channel and state to the relay; true when its voice now lives on another shard (see #renewPeer). */
  #pushMember(session: Session): boolean {
    const channel = this.#channels.get(session.channelId);
    if (!channel) throw new Error(`session ${session.token} is in unknown channel ${session.channelId}`);
    return this.#relay.setMember(session.token, { channelId: channel.id, config: channel.config, selfMute: session.selfMute, selfDeaf: session.selfDeaf });
  }

  /**
   * The session's peer connection can no longer carry its voice (its channel
   * is served by another relay shard, or its shard was restarted): it is
   * closed, an answer still being made is discarded, and the client is asked
   * for a new offer, which is answered in the right shard. A session in grace
   * is told when it resumes.
   */
  #renewPeer(session: Session, reason: RtcRenewReason): void {
    session.offerGeneration++;
    this.#dropPeer(session);
    if (session.link) session.link.send({ type: 'rtc-renew', reason });
    else session.renewPending = reason;
    log.debug('peer connection renewed', { token: session.token, reason });
  }

  #countIn(channelId: number): number {
    let n = 0;
    for (const s of this.#sessions.values()) if (s.channelId === channelId) n++;
    return n;
  }

  #users() {
    return [...this.#sessions.values()].map((s) => s.info());
  }

  /** Sends to every attached session but `except`, serialising once. */
  #broadcast(message: ServerMessage, except?: Session): void {
    const frame = JSON.stringify(message);
    for (const s of this.#sessions.values()) {
      if (s !== except) s.link?.sendRaw(frame);
    }
  }

  #newToken(): number {
    for (;;) {
      const t = randomInt(1, 0xffff_ffff);
      if (!this.#sessions.has(t)) return t;
    }
  }
}
