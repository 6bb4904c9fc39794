/**
 * The relay hot path. Pure: datagrams come in by method call with the time as
 * an argument, and go out through each member's VoiceSink. It owns no socket,
 * timer or database; the control side pushes membership into it (see the
 * ownership rule in docs/architecture.md). Per datagram it allocates nothing,
 * logs nothing and awaits nothing: the header is parsed once into a reused
 * object and the same bytes are handed to every receiver.
 *
 * One relay runs in each relay shard (server/shards/): its counters can live in
 * a caller's Float64Array (a slice of a SharedArrayBuffer the main thread sums),
 * and a whisper to a session it does not hold can be handed to the shard that
 * does (`forwardWhisper` here, `deliverWhisper` there).
 */
import { readVoiceHeader, createVoiceHeader } from '../../shared/voice/voice-header.ts';
import { ReplayWindow } from '../../shared/voice/replay-window.ts';
import { TokenBucket } from '../../shared/util/token-bucket.ts';
import type { ChannelConfig } from '../../shared/control/protocol.ts';
import { timestampDelta } from '../../shared/voice/sequence.ts';
import { SAMPLE_RATE } from '../../shared/voice/constants.ts';
import {
  DRIFT_FOLLOW,
  SPURT_GAP_MS,
  OVERLOAD_WINDOW_MS,
  OVERLOAD_LATE_MS,
  OVERLOAD_MIN_SENDERS,
  OVERLOAD_ENTER_LATE_SHARE,
  OVERLOAD_STAY_LATE_SHARE,
  OVERLOAD_STALE_MS,
  OVERLOAD_QUEUE_SHARE,
  PING_BURST,
  STALE_MS,
  PING_RATE_PER_SECOND,
  RECEIVER_QUEUE_MS,
  receiverQueueFloorBytes,
  senderLimitsFor,
} from './relay-limits.ts';

/** Where a member's datagrams go. Implementations must not throw. */
export interface VoiceSink {
  /**
   * Queues `bytes` for the member. The sink may keep a reference until they are
   * on the wire (VoiceLaneSender does, to the end of the turn): the relay hands
   * the same buffer to every receiver and never writes to it.
   */
  send(bytes: Uint8Array): void;
  /** Bytes handed to `send` that are not on the wire yet. */
  queuedBytes(): number;
}

export const DROP_REASONS = [
  'malformed', // shorter than a header, bad reserved bits, token 0, empty whisper, text frame
  'oversize', // longer than header + target + one Opus packet
  'forged-token', // header token is not the session bound to the DataChannel it came on
  'replay', // sequence already seen, or older than the 64-packet window
  'rate-limited', // over the sender's packet or byte allowance
  'muted', // sender is self-muted
  'no-target', // whisper to a session that is not here (or is deaf, or is the sender)
  'receiver-backlog', // receiver's queue already holds ~100 ms; dropped for that receiver only
  'expired', // counted by the voice lane: a copy that waited in the receiver's queue past the age limit, dropped unsent
  'no-receiver', // nobody else in the channel (or, for a ping, no open lane back)
  'no-session', // arrived for a session the relay no longer has (it just ended)
  'stale', // reached the relay more than STALE_MS behind its sender's pace (overload or a stalled uplink)
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface RelayCounters {
  datagramsIn: number;
  bytesIn: number;
  /** Copies handed to a receiver's voice lane (one per receiver); those that then expire in its queue count as `expired` too. */
  forwarded: number;
  bytesOut: number;
  keepalives: number;
  pingsEchoed: number;
  drops: Record<DropReason, number>;
}

// Counter slots in the backing Float64Array (RELAY_COUNTER_SLOTS of them from the relay's offset).
const DATAGRAMS_IN = 0;
const BYTES_IN = 1;
const FORWARDED = 2;
const BYTES_OUT = 3;
const KEEPALIVES = 4;
const PINGS_ECHOED = 5;
const FIRST_DROP = 6;
/** Float64 slots a relay's counters take: six totals, then one per drop reason in DROP_REASONS order. */
export const RELAY_COUNTER_SLOTS = FIRST_DROP + DROP_REASONS.length;
const DROP_SLOT = Object.fromEntries(DROP_REASONS.map((r, i) => [r, FIRST_DROP + i])) as Record<DropReason, number>;
/** The slot of drop reason `reason` among a relay's counters (for a counter another part writes: `expired`). */
export function dropSlot(reason: DropReason): number {
  return DROP_SLOT[reason];
}

/** The counters held in `slots` (RELAY_COUNTER_SLOTS of them from `offset`), as an object (allocates). */
export function readRelayCounters(slots: Float64Array, offset = 0): RelayCounters {
  const drops = {} as Record<DropReason, number>;
  for (const r of DROP_REASONS) drops[r] = slots[offset + DROP_SLOT[r]]!;
  return {
    datagramsIn: slots[offset + DATAGRAMS_IN]!,
    bytesIn: slots[offset + BYTES_IN]!,
    forwarded: slots[offset + FORWARDED]!,
    bytesOut: slots[offset + BYTES_OUT]!,
    keepalives: slots[offset + KEEPALIVES]!,
    pingsEchoed: slots[offset + PINGS_ECHOED]!,
    drops,
  };
}

export interface MemberState {
  channelId: number;
  config: ChannelConfig;
  selfMute: boolean;
  selfDeaf: boolean;
}

class RelayMember {
  readonly token: number;
  channelId = 0;
  selfMute = false;
  selfDeaf = false;
  sink: VoiceSink | null = null;
  replay = new ReplayWindow();
  packets!: TokenBucket;
  bytes!: TokenBucket;
  /** The config the sender limits were made from. */
  limitsConfig!: ChannelConfig;
  pings: TokenBucket;
  queueFloorBytes = 0;
  // Pace of this sender: arrival time and header timestamp of the reference packet (see #lateness).
  paceArrival = 0;
  paceTs = 0;
  havePace = false;
  lastVoiceAt = 0;
  // The overload window in which this sender was last counted as heard.
  heardWindow = -1;
  // Bytes offered to this receiver in the current and previous RECEIVER_QUEUE_MS window.
  windowStart = 0;
  offeredCur = 0;
  offeredPrev = 0;

  constructor(token: number, state: MemberState, nowMs: number) {
    this.token = token;
    this.applyChannelLimits(state.config, nowMs);
    this.pings = new TokenBucket(PING_RATE_PER_SECOND, PING_BURST, nowMs);
    this.windowStart = nowMs;
  }

  /** The sender allowance (starting full) and receiver queue floor of a (new or edited) channel config. */
  applyChannelLimits(config: ChannelConfig, nowMs: number): void {
    this.limitsConfig = config;
    this.queueFloorBytes = receiverQueueFloorBytes(config);
    const limits = senderLimitsFor(config);
    this.packets = new TokenBucket(limits.packetsPerSecond, limits.packetBurst, nowMs);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, nowMs);
  }
}

export interface VoiceRelayOptions {
  /** See STALE_MS; the overload deadline is the lesser of it and OVERLOAD_STALE_MS. Infinity turns both off. */
  staleMs: number;
  /**
   * Where the counters live: RELAY_COUNTER_SLOTS slots of this array, from
   * index 0 (a relay shard passes its slice of a SharedArrayBuffer). They are
   * counted on from whatever they hold. Default: a zeroed array of its own.
   */
  counters: Float64Array;
  /**
   * Asked for a whisper whose target is not a member here, after every sender
   * check passed: true when it has handed the datagram to the relay that holds
   * the target (which delivers and counts it), false to drop it as no-target.
   * Must not throw; it may copy `bytes` but must not keep them.
   */
  forwardWhisper: ((target: number, bytes: Uint8Array) => boolean) | null;
}

export class VoiceRelay {
  readonly #staleMs: number;
  /** The door's deadline in overload mode. */
  readonly #overloadStaleMs: number;
  readonly #members = new Map<number, RelayMember>();
  readonly #channels = new Map<number, RelayMember[]>();
  readonly #header = createVoiceHeader();
  readonly #c: Float64Array;
  readonly #forwardWhisper: ((target: number, bytes: Uint8Array) => boolean) | null;
  // Overload mode (relay-limits.ts): the current window, senders heard and frames (late ones) in it, and the verdict of the last one.
  #window = 0;
  #windowStart = 0;
  #heard = 0;
  #frames = 0;
  #lateFrames = 0;
  #overloaded = false;
  #busy = true;

  constructor(options: Partial<VoiceRelayOptions> = {}) {
    this.#staleMs = options.staleMs ?? STALE_MS;
    this.#overloadStaleMs = this.#staleMs === Infinity ? Infinity : Math.min(OVERLOAD_STALE_MS, this.#staleMs);
    const counters = options.counters ?? new Float64Array(RELAY_COUNTER_SLOTS);
    if (counters.length < RELAY_COUNTER_SLOTS) throw new TypeError(`the counters need ${RELAY_COUNTER_SLOTS} slots, got ${counters.length}`);
    this.#c = counters;
    this.#forwardWhisper = options.forwardWhisper ?? null;
  }

  /** Adds a member or updates its channel and state (control pushes this on join, move, mute). */
  setMember(token: number, state: MemberState, nowMs: number): void {
    let m = this.#members.get(token);
    if (!m) {
      m = new RelayMember(token, state, nowMs);
      this.#members.set(token, m);
    } else if (
      m.channelId !== state.channelId ||
      m.limitsConfig.bitrate !== state.config.bitrate ||
      m.limitsConfig.frameSamples !== state.config.frameSamples
    ) {
      // A move, or an admin edit of this channel's bitrate or frame size: the allowance follows.
      m.applyChannelLimits(state.config, nowMs);
    }
    if (m.channelId !== state.channelId) {
      if (m.channelId !== 0) this.#leaveChannel(m);
      m.channelId = state.channelId;
      const list = this.#channels.get(state.channelId);
      if (list) list.push(m);
      else this.#channels.set(state.channelId, [m]);
    }
    m.selfMute = state.selfMute;
    m.selfDeaf = state.selfDeaf;
  }

  /** Binds (or unbinds, with null) the sink datagrams to this member go through. */
  setSink(token: number, sink: VoiceSink | null): void {
    const m = this.#members.get(token);
    if (m) m.sink = sink;
  }

  removeMember(token: number): void {
    const m = this.#members.get(token);
    if (!m) return;
    this.#leaveChannel(m);
    this.#members.delete(token);
  }

  hasMember(token: number): boolean {
    return this.#members.has(token);
  }

  /** Members of a channel, by token (for tests and stats; allocates). */
  channelTokens(channelId: number): number[] {
    return (this.#channels.get(channelId) ?? []).map((m) => m.token);
  }

  /** A snapshot of the counters (allocates; for stats and tests). */
  get counters(): Readonly<RelayCounters> {
    return readRelayCounters(this.#c);
  }

  /** Counts a drop decided outside the relay (e.g. a text frame on the voice lane). */
  countDrop(reason: DropReason): void {
    this.#c[DATAGRAMS_IN]!++;
    this.#c[DROP_SLOT[reason]]!++;
  }

  /**
   * One datagram that arrived on the DataChannel bound to session `boundToken`.
   * Returns the reason it was dropped as a whole, or null when it was handled
   * (forwarded, echoed or ignored as a keep-alive).
   */
  receive(boundToken: number, bytes: Uint8Array, nowMs: number): DropReason | null {
    const c = this.#c;
    c[DATAGRAMS_IN]!++;
    c[BYTES_IN]! += bytes.length;
    const sender = this.#members.get(boundToken);
    if (!sender) return this.#drop('no-session');
    const h = this.#header;
    const bad = readVoiceHeader(bytes, h);
    if (bad !== null) return this.#drop(bad === 'too-long' ? 'oversize' : 'malformed');
    if (h.kind === 'keepalive') {
      c[KEEPALIVES]!++;
      return null;
    }
    if (h.token !== boundToken) return this.#drop('forged-token');
    if (h.kind === 'ping') {
      if (!sender.pings.take(nowMs)) return this.#drop('rate-limited');
      if (sender.sink === null) return this.#drop('no-receiver');
      sender.sink.send(bytes);
      c[PINGS_ECHOED]!++;
      c[BYTES_OUT]! += bytes.length;
      return null;
    }
    if (sender.replay.accept(h.sequence) !== 'fresh') return this.#drop('replay');
    if (!sender.packets.take(nowMs) || !sender.bytes.take(nowMs, bytes.length)) return this.#drop('rate-limited');
    if (sender.selfMute) return this.#drop('muted');
    const late = this.#pace(sender, h.timestamp, nowMs);
    this.#observe(sender, late, nowMs); // may close the overload window: the verdict below is this window's
    // Read once per datagram: the window was just (re)started at nowMs, so the verdict cannot lapse in the fan-out.
    const overloaded = this.#overloaded;
    if (late > (overloaded ? this.#overloadStaleMs : this.#staleMs)) return this.#drop('stale');
    if (h.kind === 'whisper') {
      const target = this.#members.get(h.target);
      if (target === undefined) {
        // Another shard's session: that relay applies the receiving side's rules and counts the outcome.
        if (this.#forwardWhisper !== null && this.#forwardWhisper(h.target, bytes)) return null;
        return this.#drop('no-target');
      }
      if (target === sender || target.selfDeaf || target.sink === null) return this.#drop('no-target');
      this.#offer(target, bytes, nowMs, overloaded);
      return null;
    }
    const list = this.#channels.get(sender.channelId);
    let sent = 0;
    if (list) {
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        if (r === sender || r.selfDeaf || r.sink === null) continue;
        this.#offer(r, bytes, nowMs, overloaded);
        sent++;
      }
    }
    return sent === 0 ? this.#drop('no-receiver') : null;
  }

  /**
   * A whisper another shard's relay took in and checked (sender, replay, rate,
   * mute, pace) and handed over because its target is a member here: the
   * receiving side's rules only — target gone, deaf or without a sink is
   * `no-target`, then the receiver backlog rule. Not counted as a datagram in
   * (the sending shard did that), so a forwarded whisper counts once.
   */
  deliverWhisper(bytes: Uint8Array, nowMs: number): DropReason | null {
    const h = this.#header;
    if (readVoiceHeader(bytes, h) !== null || h.kind !== 'whisper') return this.#drop('malformed');
    const target = this.#members.get(h.target);
    if (!target || target.selfDeaf || target.sink === null) return this.#drop('no-target');
    this.#offer(target, bytes, nowMs, this.overloadedAt(nowMs));
    return null;
  }

  /**
   * How far behind its sender's own pace a frame reaches the relay, in ms. The
   * reference is the earliest-arriving frame (arrival − timestamp); it follows
   * slow clock drift upward by DRIFT_FOLLOW of the lateness per frame, so only a
   * sudden backlog — the relay or the uplink falling behind — reads as late,
   * and a sender whose uplink delay stepped up is forwarded again within
   * seconds. (In a long overload the same following lets a standing backlog
   * creep into the reference: 30 ms of lateness moves it 1.5 ms a second.)
   * A jump of more than 10 s either way starts a new reference, and so does a
   * new talk spurt (no frame for SPURT_GAP_MS) while the relay's thread is not
   * busy, so clients whose timestamps stand still across pauses are not
   * punished for it. On a busy thread a gap is read as what it more likely
   * is — the relay not getting to this sender's socket, its frames waiting in
   * the kernel — so a backlog cannot hide behind a fresh reference.
   */
  #pace(m: RelayMember, ts: number, nowMs: number): number {
    const gap = nowMs - m.lastVoiceAt;
    m.lastVoiceAt = nowMs;
    if (!m.havePace || (gap > SPURT_GAP_MS && !this.#busy)) {
      m.havePace = true;
      m.paceArrival = nowMs;
      m.paceTs = ts;
      return 0;
    }
    const late = nowMs - (m.paceArrival + (timestampDelta(m.paceTs, ts) * 1000) / SAMPLE_RATE);
    if (late < 0 || late > 10_000) {
      m.paceArrival = nowMs;
      m.paceTs = ts;
      return 0;
    }
    m.paceArrival += late * DRIFT_FOLLOW;
    return late;
  }

  /** Overload mode: counts the sender as heard (and late) in the current window; closes windows as time passes. */
  #observe(m: RelayMember, late: number, nowMs: number): void {
    if (nowMs - this.#windowStart >= OVERLOAD_WINDOW_MS) {
      // A window with nobody heard (or a long gap) clears the verdict.
      this.#overloaded =
        this.#busy &&
        nowMs - this.#windowStart < 2 * OVERLOAD_WINDOW_MS &&
        this.#heard >= OVERLOAD_MIN_SENDERS &&
        this.#lateFrames >= this.#frames * (this.#overloaded ? OVERLOAD_STAY_LATE_SHARE : OVERLOAD_ENTER_LATE_SHARE);
      this.#window++;
      this.#windowStart = nowMs;
      this.#heard = 0;
      this.#frames = 0;
      this.#lateFrames = 0;
    }
    if (m.heardWindow !== this.#window) {
      m.heardWindow = this.#window;
      this.#heard++;
    }
    this.#frames++;
    if (late > OVERLOAD_LATE_MS) this.#lateFrames++;
  }

  /** The overload verdict as the relay applies it at `nowMs`: it lapses when this relay's senders went quiet. */
  overloadedAt(nowMs: number): boolean {
    return this.#overloaded && nowMs - this.#windowStart < 2 * OVERLOAD_WINDOW_MS;
  }

  /**
   * Whether the thread running this relay is busy (its event loop at least
   * OVERLOAD_BUSY_UTILIZATION busy lately); the shard reports it every window.
   * Without reports the relay assumes busy and judges by lateness alone.
   */
  setBusy(busy: boolean): void {
    this.#busy = busy;
  }

  /** Whether the last overload window found the relay behind (tighter deadline and receiver queues). */
  get overloaded(): boolean {
    return this.#overloaded;
  }

  /** One copy for `r`, unless its queue is over its allowance (a quarter of it while `overloaded`). */
  #offer(r: RelayMember, bytes: Uint8Array, nowMs: number, overloaded: boolean): void {
    const elapsed = nowMs - r.windowStart;
    if (elapsed >= RECEIVER_QUEUE_MS) {
      r.offeredPrev = elapsed >= 2 * RECEIVER_QUEUE_MS ? 0 : r.offeredCur;
      r.offeredCur = 0;
      r.windowStart = nowMs;
    }
    r.offeredCur += bytes.length;
    // Queued bytes beyond what the last ~100 ms brought mean the head of the queue is older than that.
    const window = r.offeredPrev > r.offeredCur ? r.offeredPrev : r.offeredCur;
    const allowance = window > r.queueFloorBytes ? window : r.queueFloorBytes;
    const limit = overloaded ? allowance * OVERLOAD_QUEUE_SHARE : allowance;
    const sink = r.sink!;
    if (sink.queuedBytes() > limit) {
      this.#c[DROP_SLOT['receiver-backlog']]!++;
      return;
    }
    sink.send(bytes);
    this.#c[FORWARDED]!++;
    this.#c[BYTES_OUT]! += bytes.length;
  }

  #drop(reason: DropReason): DropReason {
    this.#c[DROP_SLOT[reason]]!++;
    return reason;
  }

  #leaveChannel(m: RelayMember): void {
    const list = this.#channels.get(m.channelId);
    if (!list) return;
    const i = list.indexOf(m);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#channels.delete(m.channelId);
  }
}
