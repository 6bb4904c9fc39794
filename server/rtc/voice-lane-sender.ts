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
 * window, sent queue, SACK and T3 handling, FORWARD-TSN) but moves DATA out
 * synchronously:
 *
 * - `send(bytes)` makes one unordered DATA chunk (the message's exact bytes,
 *   PPID 53 binary / 57 empty binary; fragments above maxPayloadSize) and
 *   appends it to werift's outbound queue. Nothing is awaited.
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
 * The DTLS record goes through werift's (patched) CipherContext.encryptPacket,
 * so record numbering and keys are werift's; the UDP datagram goes straight to
 * the nominated candidate pair's socket.
 */
import { crc32c, type RTCDataChannel, type RTCPeerConnection } from 'werift';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../util/log.ts';

const log = createLogger('rtc');

/** SCTP packet size cap, common header included: under a 1280-byte IPv6 path with DTLS, UDP and IP on top. */
export const MAX_SCTP_PACKET = 1188;
const COMMON_HEADER = 12;
/** An SCTP DATA chunk's header (RFC 9260 §3.3.1), before the user data. */
export const SCTP_DATA_CHUNK_HEADER = 16;
/** A DTLS 1.2 record header, before the (encrypted) fragment. */
export const DTLS_RECORD_HEADER = 13;
const DATA_TYPE = 0;
/** DATA chunk flags: U (unordered), B (first fragment), E (last fragment). */
export const SCTP_FLAG_UNORDERED = 0x04;
export const SCTP_FLAG_FIRST = 0x02;
export const SCTP_FLAG_LAST = 0x01;
const PPID_BINARY = 53;
const PPID_BINARY_EMPTY = 57;
const CONTENT_APPLICATION_DATA = 23;
/** An empty message travels as PPID 57 with one zero byte (RFC 8831 §6.6): a DATA chunk may not be empty. */
const EMPTY_MESSAGE_BODY = new Uint8Array(1);
/** werift's SCTP_STATE.ESTABLISHED (a numeric enum the ESM bundle does not export). */
const SCTP_ESTABLISHED = 4;

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
  constructor(streamId: number, userData: Uint8Array, maxRetransmits: number | undefined, flags = SCTP_FLAG_FIRST | SCTP_FLAG_LAST) {
    this.flags = SCTP_FLAG_UNORDERED | flags;
    this.streamId = streamId;
    const empty = userData.length === 0;
    this.protocol = empty ? PPID_BINARY_EMPTY : PPID_BINARY;
    this.userData = empty ? EMPTY_MESSAGE_BODY : userData;
    this.bookSize = this.userData.length;
    this.maxRetransmits = maxRetransmits;
  }
  get type(): number {
    return DATA_TYPE;
  }
}

interface DataChunkLike {
  flags: number;
  tsn: number;
  streamId: number;
  streamSeqNum: number;
  protocol: number;
  userData: Uint8Array;
  retransmit: boolean;
  misses: number;
  sentCount: number;
  sentTime: number;
  bookSize: number;
}

/** The parts of werift's SCTP association this sender drives (werift 0.25.2 field names). */
interface SctpAssociation {
  associationState: number;
  isStopped?: boolean;
  state: string;
  localPort: number;
  remotePort: number | undefined;
  remoteVerificationTag: number;
  localTsn: number;
  maxPayloadSize: number;
  cwnd: number;
  flightSize: number;
  peerRwnd: number;
  fastRecoveryExit: number | undefined;
  fastRecoveryTransmit: boolean;
  forwardTsnChunk: unknown;
  outboundQueue: DataChunkLike[];
  sentQueue: DataChunkLike[];
  timer3Handle: unknown;
  flush: { execute(): void };
  transmit(): unknown;
  sendChunk(chunk: unknown): Promise<void>;
  flightSizeIncrease(chunk: DataChunkLike): void;
  timer3Start(): void;
  timer3Restart(): void;
}

interface RecordHeader {
  contentType: number;
  protocolVersion: { major: number; minor: number };
  epoch: number;
  sequenceNumber: number;
  contentLen: number;
}
interface DtlsSocketLike {
  dtls: { version: { major: number; minor: number }; epoch: number; recordSequenceNumber: number };
  cipher: { encryptPacket(pkt: { recordLayerHeader: RecordHeader; fragment: Buffer }): { recordLayerHeader: RecordHeader; fragment: Buffer } };
}
interface UdpSocketLike {
  send(msg: Uint8Array, port: number, address: string): void;
}
interface IceConnectionLike {
  nominated?: { remoteAddr: [string, number]; protocol: { transport?: { closed?: boolean; socket?: UdpSocketLike }; sendData(data: Buffer, addr: [string, number]): Promise<void> } };
  canSendApplicationData(): boolean;
}

export interface LaneCounters {
  /** Messages handed to `send`. */
  messages: number;
  /** SCTP packets (= DTLS records = UDP datagrams) this sender put on the wire, retransmissions included. */
  packets: number;
  /** Messages refused because the association or the ICE pair could not take them. */
  refused: number;
  /** Exceptions while transmitting (the batch for that peer is lost; the others go on). */
  errors: number;
}

/**
 * A chunk waits for the end of its event-loop turn, but never longer than
 * this: an overloaded relay's turns run long (hundreds of datagrams, and the
 * thread may lose its core in the middle), and the first datagram of such a
 * turn would otherwise wait for all of them.
 */
export const MAX_BUNDLE_WAIT_MS = 5;

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

function scheduleDue(lane: VoiceLaneSender): void {
  if (due.length === 0) batchStartedAt = performance.now();
  due.push(lane);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushDue);
  }
}

/** Called for every queued chunk: sends the batch now if its oldest chunk has waited MAX_BUNDLE_WAIT_MS. */
function flushIfLong(): void {
  if (due.length > 0 && performance.now() - batchStartedAt >= MAX_BUNDLE_WAIT_MS) flushBatch();
}

export class VoiceLaneSender {
  readonly #sctp: SctpAssociation;
  readonly #dtls: DtlsSocketLike;
  readonly #ice: IceConnectionLike;
  readonly #streamId: number;
  readonly #maxRetransmits: number | undefined;
  readonly #bundle: DataChunkLike[] = [];
  /** Chunks picked by one transmitNow, reused. */
  readonly #picks: DataChunkLike[] = [];
  #queued = 0;
  #due = false;
  #closed = false;
  readonly counters: LaneCounters = { messages: 0, packets: 0, refused: 0, errors: 0 };

  /**
   * Takes over sending for `dc` on `pc`'s association. Call once the channel is
   * open (the association is established and DTLS is connected). Throws if
   * werift's internals are not what this file was written against.
   */
  constructor(pc: RTCPeerConnection, dc: RTCDataChannel) {
    const transport = pc.sctpTransport as unknown as { sctp?: SctpAssociation; dtlsTransport?: { dtls?: DtlsSocketLike; iceTransport?: { connection?: IceConnectionLike } } } | undefined;
    const sctp = transport?.sctp;
    const dtls = transport?.dtlsTransport?.dtls;
    const ice = transport?.dtlsTransport?.iceTransport?.connection;
    if (!sctp || !dtls || !ice) throw new Error('werift peer connection has no SCTP/DTLS/ICE transport: review server/rtc/voice-lane-sender.ts');
    for (const k of ['outboundQueue', 'sentQueue', 'flightSizeIncrease', 'timer3Start', 'timer3Restart', 'sendChunk', 'flush'] as const) {
      if (sctp[k] === undefined) throw new Error(`werift SCTP has no ${k}: the werift version changed, review server/rtc/voice-lane-sender.ts`);
    }
    if (typeof dtls.cipher?.encryptPacket !== 'function' || typeof ice.canSendApplicationData !== 'function') {
      throw new Error('werift DTLS/ICE internals changed: review server/rtc/voice-lane-sender.ts');
    }
    if (dc.id === null || dc.id === undefined) throw new Error('the voice channel has no stream id');
    if (sctp.associationState !== SCTP_ESTABLISHED) {
      throw new Error(`werift SCTP is in state ${String(sctp.associationState)} with the channel open (expected ESTABLISHED = ${SCTP_ESTABLISHED}): review server/rtc/voice-lane-sender.ts`);
    }
    this.#sctp = sctp;
    this.#dtls = dtls;
    this.#ice = ice;
    this.#streamId = dc.id;
    this.#maxRetransmits = dc.maxRetransmits ?? undefined;
    // Every DATA chunk of this association now leaves through transmitNow, werift's own included.
    // werift calls transmit from timers and unguarded async code: a throw must not escape there.
    sctp.transmit = () => this.#transmitGuarded();
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
    if (bytes.length <= max) {
      this.#enqueue(new VoiceDataChunk(this.#streamId, bytes, this.#maxRetransmits));
    } else {
      // Larger than one chunk may carry: consecutive TSNs, B on the first, E on the last (RFC 9260 §6.9).
      for (let at = 0; at < bytes.length; at += max) {
        const end = Math.min(at + max, bytes.length);
        const flags = (at === 0 ? SCTP_FLAG_FIRST : 0) | (end === bytes.length ? SCTP_FLAG_LAST : 0);
        this.#enqueue(new VoiceDataChunk(this.#streamId, bytes.subarray(at, end), this.#maxRetransmits, flags));
      }
    }
    this.counters.messages++;
    if (!this.#due) {
      this.#due = true;
      scheduleDue(this);
    }
    flushIfLong();
    return true;
  }

  #enqueue(chunk: VoiceDataChunk): void {
    const sctp = this.#sctp;
    chunk.tsn = sctp.localTsn;
    sctp.localTsn = (sctp.localTsn + 1) >>> 0;
    sctp.outboundQueue.push(chunk);
    this.#queued += chunk.bookSize;
  }

  /** Stops sending; queued chunks stay with werift (which is closing the association). */
  close(): void {
    this.#closed = true;
    this.#queued = 0;
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
   * congestion window and the peer's receive window.
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
    const queue = sctp.outboundQueue;
    let taken = 0;
    while (taken < queue.length && sctp.flightSize < cwnd && sctp.peerRwnd > 0) {
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
      if (taken === queue.length) sctp.outboundQueue = [];
      else queue.splice(0, taken);
    }
    if (this.#queued < 0) this.#queued = 0;
    // werift ran this (after a SACK): whatever was due has just left.
    if (this.#queued === 0) this.#due = false;
    // …then put them on the wire. If that throws, the chunks are in flight as far as SCTP knows, so
    // they count as lost: abandoned (maxRetransmits 0) and skipped with FORWARD-TSN, nothing counted twice.
    try {
      let size = COMMON_HEADER;
      for (let i = 0; i < picks.length; i++) size = this.#add(picks[i]!, size);
      if (this.#bundle.length > 0) this.#emit(size);
    } finally {
      picks.length = 0;
      this.#bundle.length = 0;
      sctp.flush.execute();
    }
  }

  /** Adds a chunk to the packet being built, sending the packet first if the chunk would not fit. */
  #add(c: DataChunkLike, size: number): number {
    const len = SCTP_DATA_CHUNK_HEADER + c.userData.length;
    const padded = (len + 3) & ~3;
    if (this.#bundle.length > 0 && size + padded > MAX_SCTP_PACKET) {
      this.#emit(size);
      size = COMMON_HEADER;
    }
    this.#bundle.push(c);
    return size + padded;
  }

  /** Serialises the bundled chunks into one SCTP packet, encrypts it as one DTLS record, sends it. */
  #emit(size: number): void {
    const sctp = this.#sctp;
    const bundle = this.#bundle;
    const pkt = Buffer.alloc(size);
    pkt.writeUInt16BE(sctp.localPort, 0);
    pkt.writeUInt16BE(sctp.remotePort!, 2);
    pkt.writeUInt32BE(sctp.remoteVerificationTag, 4);
    let at = COMMON_HEADER;
    for (let i = 0; i < bundle.length; i++) {
      const c = bundle[i]!;
      const data = c.userData;
      pkt[at] = DATA_TYPE;
      pkt[at + 1] = c.flags;
      pkt.writeUInt16BE(SCTP_DATA_CHUNK_HEADER + data.length, at + 2);
      pkt.writeUInt32BE(c.tsn, at + 4);
      pkt.writeUInt16BE(c.streamId, at + 8);
      pkt.writeUInt16BE(c.streamSeqNum, at + 10);
      pkt.writeUInt32BE(c.protocol, at + 12);
      pkt.set(data, at + SCTP_DATA_CHUNK_HEADER);
      at += (SCTP_DATA_CHUNK_HEADER + data.length + 3) & ~3; // padding bytes are already zero
    }
    bundle.length = 0;
    pkt.writeUInt32LE(crc32c(pkt), 8);
    this.#sendRecord(pkt);
  }

  #sendRecord(plain: Buffer): void {
    const ice = this.#ice;
    const pair = ice.nominated;
    if (!pair || !ice.canSendApplicationData()) {
      this.counters.refused++;
      return;
    }
    const ctx = this.#dtls.dtls;
    const enc = this.#dtls.cipher.encryptPacket({
      recordLayerHeader: {
        contentType: CONTENT_APPLICATION_DATA,
        protocolVersion: ctx.version,
        epoch: ctx.epoch,
        sequenceNumber: ++ctx.recordSequenceNumber,
        contentLen: plain.length,
      },
      fragment: plain,
    });
    const h = enc.recordLayerHeader;
    const body = enc.fragment;
    const record = Buffer.allocUnsafe(DTLS_RECORD_HEADER + body.length);
    record[0] = CONTENT_APPLICATION_DATA;
    record[1] = h.protocolVersion.major;
    record[2] = h.protocolVersion.minor;
    record.writeUInt16BE(h.epoch, 3);
    record.writeUIntBE(h.sequenceNumber, 5, 6);
    record.writeUInt16BE(body.length, 11);
    body.copy(record, DTLS_RECORD_HEADER);
    this.counters.packets++;
    const udp = pair.protocol.transport;
    const [address, port] = pair.remoteAddr;
    if (udp?.socket && !udp.closed && isIP(address) !== 0) {
      udp.socket.send(record, port, address);
    } else {
      pair.protocol.sendData(record, pair.remoteAddr).catch(() => {});
    }
  }
}
