/**
 * The voice lane's send path, replacing werift's for the one DataChannel that
 * carries datagrams (see docs/architecture.md §5, "The send path").
 *
 * werift 0.25.2 sends a DataChannel message through ten async functions
 * (datachannelSend → dataChannelFlush → SCTP.send → transmit → sendChunk →
 * DTLS → ICE → UDP), one SCTP packet and one DTLS record per message, and while
 * its queue is non-empty every send() awaits a one-shot flush listener whose
 * removal filters the whole listener array — quadratic once the relay falls
 * behind. This sender keeps werift's SCTP association state (TSNs, congestion
 * window, sent queue, T3, FORWARD-TSN; the peer's SACKs are applied by the
 * receive path under werift's rules) but moves DATA out synchronously:
 *
 * - `send(bytes)` makes one unordered DATA chunk (the message's exact bytes,
 *   PPID 53 binary / 57 empty binary; fragments above maxPayloadSize) and
 *   queues it here, without a TSN. Nothing is awaited. A message gets its
 *   TSNs when it is committed to werift's outbound queue (on its way to the
 *   wire, after werift's own queued chunks, so TSNs stay in sending order);
 *   one that waited longer than the queue-age limit (setQueueAgeLimit) is
 *   dropped instead, never having used a TSN — nothing to skip on the wire.
 *   That bounds how old voice can leave even when the peer's congestion
 *   window holds the queue up.
 * - Chunks go on the wire at the end of the event-loop turn (`setImmediate`,
 *   one for all senders), or as soon as the oldest has waited
 *   MAX_BUNDLE_WAIT_MS in a long turn: every chunk queued for a peer by then is
 *   bundled into as few SCTP packets as fit in MAX_SCTP_PACKET (RFC 9260 §6.10)
 *   — so each becomes one DTLS record and one UDP datagram. Under light load a
 *   turn holds one datagram and nothing waits; under heavy load many datagrams
 *   arrive per turn and the per-packet costs (AES-GCM set-up, UDP send, SACKs)
 *   are shared by several messages. Each message stays its own DATA chunk.
 * - The association's own `transmit` (run by werift after a SACK, on T3
 *   expiry, for its DCEP messages) is replaced by the same synchronous,
 *   bundling transmitter, so werift never serialises these chunks itself.
 *
 * - The SACK werift's receive state asks for (the receive path,
 *   voice-lane-receiver.ts, keeps it) goes first in the next packet of DATA
 *   to the peer, or alone after a second packet, a gap, a duplicate or
 *   SACK_DELAY_MS (dataReceived).
 *
 * Each packet is sealed as one DTLS record with werift's keys and record
 * numbering (dtls-record-codec.ts); the UDP datagram goes straight to the
 * nominated candidate pair's socket.
 */
import { crc32c, type RTCDataChannel } from 'werift';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../util/log.ts';
import { HOLD_BUCKET_MS, HOLD_BUCKETS, MAX_BUNDLE_WAIT_MS, RECEIVER_QUEUE_MS } from '../relay/relay-limits.ts';
import {
  MAX_SCTP_PACKET, PPID_BINARY, PPID_BINARY_EMPTY, SCTP_CHUNK_DATA, SCTP_CHUNK_SACK, SCTP_COMMON_HEADER, SCTP_DATA_CHUNK_HEADER,
  SCTP_FLAG_FIRST, SCTP_FLAG_LAST, SCTP_FLAG_UNORDERED, SCTP_SACK_CHUNK_HEADER,
} from './sctp-wire.ts';
import { SCTP_ESTABLISHED, type DataChunkLike, type IceConnectionLike, type SctpAssociation, type WeriftTransports } from './werift-internals.ts';

const log = createLogger('rtc');

/** An empty message travels as PPID 57 with one zero byte (RFC 8831 §6.6): a DATA chunk may not be empty. */
const EMPTY_MESSAGE_BODY = new Uint8Array(1);
/**
 * How long a SACK may wait for DATA going the same way when only one packet
 * is unacknowledged (RFC 9260 §6.2: SACK.Delay, 200 ms recommended; libwebrtc
 * and werift use 200 ms). A second packet, a gap or a duplicate makes it due
 * at the end of the turn.
 */
const SACK_DELAY_MS = 200;
/** Gap blocks and duplicate TSNs reported per SACK at most (a SACK may report fewer than it knows). */
const MAX_SACK_GAPS = 32;
const MAX_SACK_DUPLICATES = 16;

/** The fields werift's SCTP reads and writes on a DATA chunk in its queues (its DataChunk is not exported). */
class VoiceDataChunk {
  flags: number;
  tsn = 0;
  streamId: number;
  streamSeqNum = 0;
  protocol: number;
  userData: Uint8Array;
  abandoned = false;
  acked = false;
  misses = 0;
  retransmit = false;
  sentCount = 0;
  sentTime = 0;
  bookSize: number;
  expiry: number | undefined = undefined;
  maxRetransmits: number | undefined;
  /** performance.now() when `send` queued it (relay hold). */
  queuedAt: number;
  constructor(streamId: number, userData: Uint8Array, maxRetransmits: number | undefined, queuedAt: number, flags = SCTP_FLAG_FIRST | SCTP_FLAG_LAST) {
    this.queuedAt = queuedAt;
    this.flags = SCTP_FLAG_UNORDERED | flags;
    this.streamId = streamId;
    const empty = userData.length === 0;
    this.protocol = empty ? PPID_BINARY_EMPTY : PPID_BINARY;
    this.userData = empty ? EMPTY_MESSAGE_BODY : userData;
    this.bookSize = this.userData.length;
    this.maxRetransmits = maxRetransmits;
  }
  get type(): number {
    return SCTP_CHUNK_DATA;
  }
}

/** Seals an SCTP packet into one DTLS record (dtls-record-codec.ts; a stand-in in unit tests). */
export interface RecordSealer {
  seal(plain: Uint8Array): Buffer;
}

/** Every packet is built here, then sealed (copied) into its record: one buffer for all senders of the thread. */
const scratch = Buffer.alloc(MAX_SCTP_PACKET);

export interface LaneCounters {
  /** Messages handed to `send`. */
  messages: number;
  /** SCTP packets (= DTLS records = UDP datagrams) this sender put on the wire, retransmissions included. */
  packets: number;
  /** SACK chunks sent, on DATA packets or alone. */
  sacks: number;
  /** Packets that carried nothing but a SACK (no DATA was going to the peer). */
  sackOnly: number;
  /** Messages refused because the association or the ICE pair could not take them. */
  refused: number;
  /** Exceptions while transmitting (the batch for that peer is lost; the others go on). */
  errors: number;
  /** Messages dropped unsent because they waited longer than the queue-age limit. */
  expired: number;
}

// One end-of-turn flush for every sender with queued chunks.
const due: VoiceLaneSender[] = [];
let flushScheduled = false;
/** When the oldest chunk of the current batch was queued. */
let batchStartedAt = 0;

function flushDue(): void {
  flushScheduled = false;
  flushBatch();
}

function flushBatch(): void {
  for (let i = 0; i < due.length; i++) due[i]!.transmitDue();
  due.length = 0;
}

/**
 * Relay hold: per datagram, the time from `send` to the transmit that puts its first
 * transmission on the wire (its sendmsg follows within microseconds), counted into
 * HOLD_BUCKETS buckets of HOLD_BUCKET_MS
 * (relay-limits.ts). Per thread; the shard points it at its counter block
 * (shard-counters.ts), null counts nothing.
 */
let holdCounts: Float64Array | null = null;

export function setHoldHistogram(counts: Float64Array | null): void {
  if (counts !== null && counts.length !== HOLD_BUCKETS) throw new RangeError(`the hold histogram has ${HOLD_BUCKETS} buckets`);
  holdCounts = counts;
}

/**
 * A queued message older than this when its turn to be committed comes is
 * dropped (`expired`). Per thread; the shard tightens it while its relay is
 * in overload mode (relay-shard.ts).
 */
let queueAgeLimitMs = RECEIVER_QUEUE_MS;
/** Where this thread counts expired messages (the relay's `expired` drop slot), or null. */
let expiredCount: Float64Array | null = null;

export function setQueueAgeLimit(ms: number): void {
  if (!(ms > 0)) throw new RangeError(`queue age limit ${ms} ms`);
  queueAgeLimitMs = ms;
}

/** `slot` (one float64, the relay's `expired` drop counter) counts the messages dropped for age; null counts nothing. */
export function setExpiredCounter(slot: Float64Array | null): void {
  expiredCount = slot;
}

/** How long a batch waits for more datagrams before it leaves (VOICE_RELAY_BUNDLE_MS): 0, the end of the turn. */
let bundleHoldMs = 0;

/**
 * Sets how long this thread's batches wait for company (0–MAX_BUNDLE_WAIT_MS
 * ms; 0: until the end of the event-loop turn). A hold of h ms lets datagrams
 * to one listener that reach the relay within h ms of each other share a
 * packet, its encryption and its SACK, for at most h ms (+ timer slack) of
 * delay. Per thread; set once at start.
 */
export function setBundleHold(ms: number): void {
  if (!(ms >= 0 && ms <= MAX_BUNDLE_WAIT_MS)) throw new RangeError(`bundle hold ${ms} ms: 0–${MAX_BUNDLE_WAIT_MS}`);
  bundleHoldMs = ms;
}

/** `nowMs`: the caller's clock reading, if it has one (read here only when this starts a batch). */
function scheduleDue(lane: VoiceLaneSender, nowMs: number | undefined): void {
  if (due.length === 0) batchStartedAt = nowMs ?? performance.now();
  due.push(lane);
  if (!flushScheduled) {
    flushScheduled = true;
    if (bundleHoldMs > 0) setTimeout(flushDue, bundleHoldMs);
    else setImmediate(flushDue);
  }
}

/** Called for every queued chunk: sends the batch now if its oldest chunk has waited MAX_BUNDLE_WAIT_MS. */
function flushIfLong(nowMs: number): void {
  if (due.length > 0 && nowMs - batchStartedAt >= MAX_BUNDLE_WAIT_MS) flushBatch();
}

export class VoiceLaneSender {
  readonly #sctp: SctpAssociation;
  readonly #sealer: RecordSealer;
  readonly #ice: IceConnectionLike;
  readonly #streamId: number;
  readonly #maxRetransmits: number | undefined;
  readonly #bundle: DataChunkLike[] = [];
  /** Messages sent but not yet committed to werift's outbound queue (no TSN yet), oldest first; #voiceHead is the first live one. */
  #voice: VoiceDataChunk[] = [];
  #voiceHead = 0;
  /** Chunks picked by one transmitNow, reused. */
  readonly #picks: DataChunkLike[] = [];
  /** TSN offsets of the gap blocks of the SACK being built (start, end, start, end…), reused. */
  readonly #gaps: number[] = [];
  #queued = 0;
  #due = false;
  /** A SACK must go at the end of this turn, with DATA or alone. */
  #sackDue = false;
  /** Bytes of the SACK chunk the packet being built starts with (0: none). */
  #sackBytes = 0;
  #sackTimer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly counters: LaneCounters = { messages: 0, packets: 0, sacks: 0, sackOnly: 0, refused: 0, errors: 0, expired: 0 };

  /**
   * Takes over sending for `dc` on werift's association (weriftTransports),
   * sealing records with `sealer`. Call once the channel is open.
   */
  constructor(t: WeriftTransports, dc: RTCDataChannel, sealer: RecordSealer) {
    if (dc.id === null || dc.id === undefined) throw new Error('the voice channel has no stream id');
    this.#sctp = t.sctp;
    this.#ice = t.ice;
    this.#sealer = sealer;
    this.#streamId = dc.id;
    this.#maxRetransmits = dc.maxRetransmits ?? undefined;
    // Every DATA chunk of this association now leaves through transmitNow, werift's own included.
    // werift calls transmit from timers and unguarded async code: a throw must not escape there.
    t.sctp.transmit = () => this.#transmitGuarded();
  }

  /** Bytes handed to `send` that are not on the wire yet. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /**
   * Queues one message; it leaves at the end of this event-loop turn. One
   * larger than a DATA chunk may carry (werift's maxPayloadSize, ~1160 bytes:
   * 60 ms frames at high bitrates) is split into fragments. Returns false (and
   * queues nothing) if the association is not established or the sender closed.
   */
  send(bytes: Uint8Array): boolean {
    const sctp = this.#sctp;
    if (this.#closed || sctp.associationState !== SCTP_ESTABLISHED) {
      this.counters.refused++;
      return false;
    }
    const max = sctp.maxPayloadSize;
    const now = performance.now();
    if (bytes.length <= max) {
      this.#enqueue(new VoiceDataChunk(this.#streamId, bytes, this.#maxRetransmits, now));
    } else {
      // Larger than one chunk may carry: consecutive TSNs, B on the first, E on the last (RFC 9260 §6.9).
      for (let at = 0; at < bytes.length; at += max) {
        const end = Math.min(at + max, bytes.length);
        const flags = (at === 0 ? SCTP_FLAG_FIRST : 0) | (end === bytes.length ? SCTP_FLAG_LAST : 0);
        this.#enqueue(new VoiceDataChunk(this.#streamId, bytes.subarray(at, end), this.#maxRetransmits, now, flags));
      }
    }
    this.counters.messages++;
    this.#schedule(now);
    flushIfLong(now);
    return true;
  }

  #enqueue(chunk: VoiceDataChunk): void {
    this.#voice.push(chunk);
    this.#queued += chunk.bookSize;
  }

  /**
   * Moves the next queued message to werift's outbound queue with its TSNs
   * (all its fragments, consecutive). False when nothing is left.
   */
  #commitNext(): boolean {
    if (this.#voiceHead === this.#voice.length) return false;
    this.#takeMessage(true);
    this.#compact();
    return true;
  }

  /** Drops the messages at the head of the voice queue that waited longer than the age limit (none has a TSN). */
  #expireOld(nowMs: number): void {
    const voice = this.#voice;
    while (this.#voiceHead < voice.length && nowMs - voice[this.#voiceHead]!.queuedAt > queueAgeLimitMs) {
      this.counters.expired++;
      if (expiredCount !== null) expiredCount[0]!++;
      this.#takeMessage(false);
    }
    this.#compact();
  }

  /**
   * Takes the message at the head of the voice queue (all its fragments) off
   * it: to werift's outbound queue with consecutive TSNs (`commit`), or out of
   * the queued bytes, dropped.
   */
  #takeMessage(commit: boolean): void {
    const voice = this.#voice;
    const sctp = this.#sctp;
    for (;;) {
      const c = voice[this.#voiceHead]!;
      voice[this.#voiceHead++] = undefined as unknown as VoiceDataChunk;
      if (commit) {
        c.tsn = sctp.localTsn;
        sctp.localTsn = (sctp.localTsn + 1) >>> 0;
        sctp.outboundQueue.push(c);
      } else {
        this.#queued -= c.bookSize;
      }
      if (c.flags & SCTP_FLAG_LAST || this.#voiceHead === voice.length) break;
    }
  }

  /** Empties the voice queue's array when all of it was taken; sheds the taken prefix when it is most of a long one. */
  #compact(): void {
    if (this.#voiceHead === this.#voice.length) {
      this.#voice.length = 0;
      this.#voiceHead = 0;
    } else if (this.#voiceHead > 64 && this.#voiceHead * 2 > this.#voice.length) {
      this.#voice = this.#voice.slice(this.#voiceHead);
      this.#voiceHead = 0;
    }
  }

  /** Something may go now (the peer's SACK opened the window, asked for a retransmission or a FORWARD-TSN): at the end of this turn. */
  wake(): void {
    if (!this.#closed) this.#schedule();
  }

  #schedule(nowMs?: number): void {
    if (!this.#due) {
      this.#due = true;
      scheduleDue(this, nowMs);
    }
  }

  /**
   * The receive path (voice-lane-receiver.ts) took in a packet with DATA for
   * werift's association; werift's receive state (lastReceivedTsn, gaps,
   * duplicates) is already updated. The SACK rides on the next DATA packet to
   * the peer; it goes alone at the end of this turn if this was the second
   * unacknowledged packet or `urgent` (a gap or a duplicate, RFC 9260 §6.2
   * and §6.7), and after SACK_DELAY_MS otherwise.
   */
  dataReceived(urgent: boolean): void {
    if (this.#closed) return;
    // werift's own count of packets since the last SACK (werift's SACKs for what it was handed reset it too).
    if (urgent || ++this.#sctp.sackPacketCount >= 2) {
      this.#sackDue = true;
      this.#schedule();
    } else if (this.#sackTimer === null) {
      this.#sackTimer = setTimeout(this.#sackDelayOver, SACK_DELAY_MS);
      this.#sackTimer.unref();
    }
  }

  #sackDelayOver = (): void => {
    this.#sackTimer = null;
    if (this.#closed || !this.#sctp.sackNeeded) return;
    this.#sackDue = true;
    this.#transmitGuarded();
  };

  /** Stops sending; chunks already in werift's queue stay with werift (which is closing the association), the rest are dropped. */
  close(): void {
    this.#closed = true;
    this.#queued = 0;
    this.#voice = [];
    this.#voiceHead = 0;
    if (this.#sackTimer !== null) clearTimeout(this.#sackTimer);
    this.#sackTimer = null;
  }

  /** Called by the end-of-turn flush. */
  transmitDue(): void {
    if (!this.#due) return;
    this.#due = false;
    this.#transmitGuarded();
  }

  /** transmitNow for callers that must not see it throw (werift's timers, the end-of-turn flush); the first failure is logged. */
  #transmitGuarded(): void {
    try {
      this.transmitNow();
    } catch (error) {
      if (this.counters.errors++ === 0) log.warn('the voice lane could not send a packet; what it carried is lost', { error });
    }
  }

  /**
   * werift's transmitOnce, synchronous and bundling: FORWARD-TSN first, then
   * chunks marked for retransmission, then the outbound queue, all within the
   * congestion window and the peer's receive window; a pending SACK goes
   * first in the first packet.
   */
  transmitNow(): void {
    const sctp = this.#sctp;
    if (this.#closed || sctp.isStopped || sctp.state === 'closed' || sctp.remotePort === undefined) return;
    if (sctp.forwardTsnChunk) {
      sctp.sendChunk(sctp.forwardTsnChunk).catch(() => {});
      sctp.forwardTsnChunk = undefined;
      if (!sctp.timer3Handle) sctp.timer3Start();
    }
    // First pick what goes and settle the association's books (no I/O, nothing that throws)…
    const burst = (sctp.fastRecoveryExit !== undefined ? 2 : 4) * sctp.maxPayloadSize;
    const cwnd = Math.min(sctp.flightSize + burst, sctp.cwnd);
    const picks = this.#picks;
    let retransmitEarliest = true;
    const sent = sctp.sentQueue;
    for (let i = 0; i < sent.length; i++) {
      const c = sent[i]!;
      if (c.retransmit) {
        if (sctp.fastRecoveryTransmit) sctp.fastRecoveryTransmit = false;
        else if (sctp.flightSize >= cwnd) break;
        sctp.flightSizeIncrease(c);
        c.misses = 0;
        c.retransmit = false;
        c.sentCount++;
        picks.push(c);
        if (retransmitEarliest) sctp.timer3Restart();
      }
      retransmitEarliest = false;
    }
    const now = Date.now() / 1000;
    // One clock reading per transmit: the age limit's, and the relay hold's sendmsg time.
    const nowMs = performance.now();
    // What waited too long is dropped first (the rest of the queue is younger).
    this.#expireOld(nowMs);
    // werift's outbound queue first (its own chunks, messages committed before), then the voice queue,
    // committed a message at a time as the windows allow.
    const queue = sctp.outboundQueue;
    let taken = 0;
    while (sctp.flightSize < cwnd && sctp.peerRwnd > 0) {
      if (taken === queue.length) {
        // All of it taken: empty it in place (no new array per transmit), then commit the next message into it.
        if (taken > 0) {
          queue.length = 0;
          taken = 0;
        }
        if (!this.#commitNext()) break;
      }
      const c = queue[taken]!;
      if (c.bookSize > sctp.peerRwnd && sctp.flightSize > 0) break;
      taken++;
      if (c instanceof VoiceDataChunk) this.#queued -= c.bookSize;
      sent.push(c);
      sctp.flightSizeIncrease(c);
      c.sentCount++;
      c.sentTime = now;
      picks.push(c);
      if (!sctp.timer3Handle) sctp.timer3Start();
    }
    if (taken > 0) {
      if (taken === queue.length) queue.length = 0;
      else queue.splice(0, taken);
    }
    // werift ran this (after a SACK): whatever was due has just left.
    if (this.#queued === 0) this.#due = false;
    const sack = sctp.sackNeeded && (this.#sackDue || picks.length > 0) ? this.#sackLength() : 0;
    this.#sackDue = false;
    // …then put them on the wire. If that throws, the chunks are in flight as far as SCTP knows, so
    // they count as lost: abandoned (maxRetransmits 0) and skipped with FORWARD-TSN, nothing counted twice.
    try {
      this.#sackBytes = sack;
      let size = SCTP_COMMON_HEADER + sack;
      for (let i = 0; i < picks.length; i++) size = this.#add(picks[i]!, size, nowMs);
      if (this.#bundle.length > 0 || this.#sackBytes > 0) this.#emit(size, nowMs);
    } finally {
      picks.length = 0;
      this.#bundle.length = 0;
      this.#sackBytes = 0;
      sctp.flush.execute();
    }
  }

  /** Adds a chunk to the packet being built, sending the packet first if the chunk would not fit. */
  #add(c: DataChunkLike, size: number, nowMs: number): number {
    const len = SCTP_DATA_CHUNK_HEADER + c.userData.length;
    const padded = (len + 3) & ~3;
    if ((this.#bundle.length > 0 || this.#sackBytes > 0) && size + padded > MAX_SCTP_PACKET) {
      this.#emit(size, nowMs);
      size = SCTP_COMMON_HEADER;
    }
    this.#bundle.push(c);
    return size + padded;
  }

  /**
   * The length of the SACK chunk werift's receive state asks for (RFC 9260
   * §3.3.4); fills #gaps with the gap blocks' offsets from the cumulative TSN.
   */
  #sackLength(): number {
    const sctp = this.#sctp;
    const gaps = this.#gaps;
    gaps.length = 0;
    const mis = sctp.sackMisOrdered;
    if (mis.size > 0) {
      // Received above the cumulative TSN, as offsets from it, ascending, merged into blocks (rare: loss on the way in).
      const base = sctp.lastReceivedTsn;
      const offsets = Array.from(mis, (tsn) => (tsn - base) >>> 0).filter((o) => o > 0 && o < 0x10000).sort((a, b) => a - b);
      for (const o of offsets) {
        if (gaps.length > 0 && gaps[gaps.length - 1] === o - 1) gaps[gaps.length - 1] = o;
        else if (gaps.length < 2 * MAX_SACK_GAPS) gaps.push(o, o);
        else break;
      }
    }
    const dups = Math.min(sctp.sackDuplicates.length, MAX_SACK_DUPLICATES);
    return SCTP_SACK_CHUNK_HEADER + 2 * gaps.length + 4 * dups;
  }

  /** Writes the SACK (#sackLength just sized it) at `at` and clears werift's SACK state: it has been sent. */
  #writeSack(pkt: Buffer, at: number): number {
    const sctp = this.#sctp;
    const gaps = this.#gaps;
    const dups = Math.min(sctp.sackDuplicates.length, MAX_SACK_DUPLICATES);
    const length = SCTP_SACK_CHUNK_HEADER + 2 * gaps.length + 4 * dups;
    pkt[at] = SCTP_CHUNK_SACK;
    pkt[at + 1] = 0;
    pkt.writeUInt16BE(length, at + 2);
    pkt.writeUInt32BE(sctp.lastReceivedTsn >>> 0, at + 4);
    pkt.writeUInt32BE(Math.max(0, sctp.advertisedRwnd) >>> 0, at + 8);
    pkt.writeUInt16BE(gaps.length / 2, at + 12);
    pkt.writeUInt16BE(dups, at + 14);
    let p = at + SCTP_SACK_CHUNK_HEADER;
    for (let i = 0; i < gaps.length; i++, p += 2) pkt.writeUInt16BE(gaps[i]!, p);
    for (let i = 0; i < dups; i++, p += 4) pkt.writeUInt32BE(sctp.sackDuplicates[i]! >>> 0, p);
    sctp.sackNeeded = false;
    sctp.sackImmediate = false;
    sctp.sackPacketCount = 0;
    sctp.sackDuplicates.length = 0;
    this.counters.sacks++;
    return p;
  }

  /** Serialises the SACK and the bundled chunks into one SCTP packet, encrypts it as one DTLS record, sends it (`nowMs`: the transmit's clock). */
  #emit(size: number, nowMs: number): void {
    const sctp = this.#sctp;
    const bundle = this.#bundle;
    const pkt = scratch.subarray(0, size);
    pkt.writeUInt16BE(sctp.localPort, 0);
    pkt.writeUInt16BE(sctp.remotePort!, 2);
    pkt.writeUInt32BE(sctp.remoteVerificationTag, 4);
    pkt.writeUInt32BE(0, 8);
    let at = SCTP_COMMON_HEADER;
    const sack = this.#sackBytes > 0;
    if (sack) {
      at = this.#writeSack(pkt, at);
      this.#sackBytes = 0;
      if (bundle.length === 0) this.counters.sackOnly++;
    }
    const hold = holdCounts;
    for (let i = 0; i < bundle.length; i++) {
      const c = bundle[i]!;
      if (hold !== null && c.sentCount === 1 && c instanceof VoiceDataChunk && c.flags & SCTP_FLAG_LAST) {
        const b = ((nowMs - c.queuedAt) / HOLD_BUCKET_MS) | 0;
        hold[b < HOLD_BUCKETS ? b : HOLD_BUCKETS - 1]!++;
      }
      const data = c.userData;
      const len = SCTP_DATA_CHUNK_HEADER + data.length;
      pkt[at] = SCTP_CHUNK_DATA;
      pkt[at + 1] = c.flags;
      pkt.writeUInt16BE(len, at + 2);
      pkt.writeUInt32BE(c.tsn, at + 4);
      pkt.writeUInt16BE(c.streamId, at + 8);
      pkt.writeUInt16BE(c.streamSeqNum, at + 10);
      pkt.writeUInt32BE(c.protocol, at + 12);
      pkt.set(data, at + SCTP_DATA_CHUNK_HEADER);
      const padded = (len + 3) & ~3;
      if (padded > len) pkt.fill(0, at + len, at + padded);
      at += padded;
    }
    bundle.length = 0;
    pkt.writeUInt32LE(crc32c(pkt), 8);
    // Refused (no usable candidate pair right now): the SACK is still owed, with the next packet.
    if (!this.#sendRecord(pkt) && sack) this.#sctp.sackNeeded = true;
  }

  /** False if the ICE pair could not take it (nothing sent). */
  #sendRecord(plain: Buffer): boolean {
    const ice = this.#ice;
    const pair = ice.nominated;
    if (!pair || !ice.canSendApplicationData()) {
      this.counters.refused++;
      return false;
    }
    const record = this.#sealer.seal(plain);
    this.counters.packets++;
    const udp = pair.protocol.transport;
    const [address, port] = pair.remoteAddr;
    if (udp?.socket && !udp.closed && isIP(address) !== 0) {
      udp.socket.send(record, port, address);
    } else {
      pair.protocol.sendData(record, pair.remoteAddr).catch(() => {});
    }
    return true;
  }
}
