/**
 * The voice lane's receive path, replacing werift's for the records that carry
 * the voice channel's messages and the peer's SACKs (docs/architecture.md
 * §5.2).
 *
 * werift 0.25.2 takes every incoming DTLS datagram through a generic record
 * parser, its event chain (DtlsSocket.onData → RTCDtlsTransport →
 * SCTP.handleData, async, one await per chunk → InboundStream reassembly →
 * onReceive → RTCSctpTransport.datachannelReceive, async → the channel's
 * events), and answers every DATA packet with a SACK of its own through the
 * same ten-async-function send chain. This path does the same work in one
 * synchronous call per datagram:
 *
 * - Hooked on the ICE connection's UDP sockets (their 'message' listener,
 *   werift's own put back on close) and, for datagrams arriving any other
 *   way (TCP, TURN), where werift's ICE transport hands DTLS datagrams to its
 *   DTLS socket. A datagram made only of application-data records is opened here
 *   (dtls-record-codec.ts: werift's keys, an anti-replay window); anything
 *   else (handshake, alert, a malformed record) goes to werift unchanged.
 * - The SCTP packet's verification tag and CRC32c are checked. If every chunk
 *   is a SACK or a whole unordered DATA chunk of the voice channel, they are
 *   handled here; a packet with anything else (FORWARD-TSN, HEARTBEAT,
 *   fragments, DCEP, other streams, shutdown…) goes whole to werift, which
 *   shares the association state with this path.
 * - DATA: the TSN is recorded in werift's receive state (RFC 9260 §6.2:
 *   cumulative TSN, out-of-order TSNs, duplicates) and the message is handed
 *   to the peer's callback at once, with its exact bytes. The SACK is left to
 *   the sender (voice-lane-sender.ts, dataReceived), which puts it on the next
 *   DATA packet to the peer, or sends it alone after a second packet, a gap or
 *   a duplicate, or SACK_DELAY_MS.
 * - SACK: applied to werift's association state at once (#sackChunk: sent
 *   queue, congestion window, fast retransmit, T3, abandonment; werift's
 *   rules without its awaits); the sender goes at the end of the turn if the
 *   window let anything through.
 */
import type { RemoteInfo } from 'node:dgram';
import { crc32c, uint32Gt, type RTCDataChannel } from 'werift';
import { createLogger } from '../util/log.ts';
import {
  DTLS_CONTENT_APPLICATION_DATA, DTLS_RECORD_HEADER, PPID_BINARY, PPID_BINARY_EMPTY, PPID_STRING, PPID_STRING_EMPTY,
  SCTP_CHUNK_DATA, SCTP_CHUNK_SACK, SCTP_COMMON_HEADER, SCTP_DATA_CHUNK_HEADER, SCTP_FLAGS_WHOLE_UNORDERED, SCTP_SACK_CHUNK_HEADER,
} from './sctp-wire.ts';
import type { VoiceLaneSender } from './voice-lane-sender.ts';
import {
  SCTP_ESTABLISHED, type DtlsSocketLike, type IceConnectionLike, type SctpAssociation, type SctpTransportLike, type UdpSocketLike, type WeriftTransports,
} from './werift-internals.ts';

const log = createLogger('rtc');

const EMPTY = new Uint8Array(0);
/** Written over the type byte of a DATA chunk in our plaintext that is not to be delivered (no SCTP chunk type). */
const NOT_DELIVERED = 0xff;
/** TSNs further than this above the cumulative TSN are dropped: ~80 s of 20 ms voice, far beyond any real gap. */
export const MAX_TSN_AHEAD = 4096;
/** TSNs kept above a gap, at most. */
export const MAX_OUT_OF_ORDER = 1024;
const MAX_DUPLICATES_KEPT = 64;
/** Gap ack blocks of one SACK taken into account, at most (a real peer reports a few). */
const MAX_GAP_BLOCKS_TAKEN = 64;

/** Whether a chunk in flight is marked for retransmission (werift's own reliable ones: DCEP, other channels). */
function awaitsRetransmission(sent: readonly { retransmit: boolean }[]): boolean {
  for (let i = 0; i < sent.length; i++) if (sent[i]!.retransmit) return true;
  return false;
}

/** Whether TSN offset `offset` (from the cumulative TSN) lies in one of the SACK's `count` gap ack blocks at `first`. */
function inGapBlocks(sack: Buffer, first: number, count: number, offset: number): boolean {
  for (let i = 0, p = first; i < count; i++, p += 4) {
    if (offset >= sack.readUInt16BE(p) && offset <= sack.readUInt16BE(p + 2)) return true;
  }
  return false;
}

export interface ReceiverCounters {
  /** Datagrams handled here (every record application data). */
  datagrams: number;
  /** Of those, taken straight from a UDP socket (the rest came through werift's ICE chain). */
  fromSocket: number;
  /** Voice messages (binary) handed to the peer. */
  messages: number;
  /** DATA chunks whose TSN had been received before: not delivered again. */
  duplicates: number;
  /** DATA chunks too far above the cumulative TSN, or above a gap already holding MAX_OUT_OF_ORDER: dropped. */
  outOfWindow: number;
  /** SACK chunks given to werift's SCTP. */
  sacks: number;
  /** SCTP packets handed to werift whole (a chunk this path does not take). */
  handedOver: number;
  /** Datagrams handed to werift's DTLS socket (not only application data). */
  toWerift: number;
  /** SCTP packets dropped: wrong verification tag, bad CRC32c, malformed chunks. */
  malformed: number;
  /** Datagrams lost to an exception (logged once). */
  errors: number;
}

/** Opens one DTLS record (dtls-record-codec.ts; a stand-in in unit tests). */
export interface RecordOpener {
  open(datagram: Buffer, at: number): Buffer | null;
}

/** What the receiver tells the sender (voice-lane-sender.ts). */
export type AckSink = Pick<VoiceLaneSender, 'dataReceived' | 'wake' | 'queuedBytes'>;

/** The channel fields werift's datachannelReceive keeps up to date (getStats reads them). */
interface ChannelStats {
  messagesReceived: number;
  bytesReceived: number;
}

export class VoiceLaneReceiver {
  readonly #sctp: SctpAssociation;
  readonly #channels: SctpTransportLike;
  readonly #dtls: DtlsSocketLike;
  readonly #codec: RecordOpener;
  readonly #sender: AckSink;
  readonly #stats: ChannelStats;
  readonly #streamId: number;
  readonly #onMessage: (bytes: Uint8Array) => void;
  readonly #onText: () => void;
  readonly #werift: (data: Buffer) => void;
  readonly #ice: IceConnectionLike;
  /** The connection's UDP sockets whose 'message' listener is ours (werift's is put back on close). */
  readonly #sockets: { socket: UdpSocketLike; werift: (data: Buffer, info: RemoteInfo) => void; ours: (data: Buffer, info: RemoteInfo) => void }[] = [];
  #closed = false;
  #sackErrors = 0;
  readonly counters: ReceiverCounters = { datagrams: 0, fromSocket: 0, messages: 0, duplicates: 0, outOfWindow: 0, sacks: 0, handedOver: 0, toWerift: 0, malformed: 0, errors: 0 };

  /**
   * Takes over receiving for `dc` on werift's association. `onMessage` gets
   * each binary message (hot path), `onText` is told of a text message (the
   * voice lane carries none). Call once the channel is open, after the sender.
   */
  constructor(t: WeriftTransports, dc: RTCDataChannel, codec: RecordOpener, sender: AckSink, onMessage: (bytes: Uint8Array) => void, onText: () => void) {
    if (dc.id === null || dc.id === undefined) throw new Error('the voice channel has no stream id');
    this.#sctp = t.sctp;
    this.#channels = t.channels;
    this.#dtls = t.dtls;
    this.#codec = codec;
    this.#sender = sender;
    this.#stats = dc as unknown as ChannelStats;
    this.#streamId = dc.id;
    this.#onMessage = onMessage;
    this.#onText = onText;
    this.#werift = t.dtls.udpOnMessage;
    t.dtls.transport.socket.onData = this.#datagram;
    // Shorter still: the connection's UDP sockets. Each has one 'message' listener, werift's (UdpTransport →
    // STUN check → ICE connection → ICE transport → here); application data skips that chain, the rest takes
    // it. Every socket, not only the nominated pair's: the peer may send to another of our candidates than the
    // one werift sends from (both pairs passed their checks).
    this.#ice = t.ice;
    for (const protocol of t.ice.protocols) {
      const socket = protocol.transport?.socket;
      const listeners = typeof socket?.listeners === 'function' ? socket.listeners('message') : [];
      if (!socket || listeners.length !== 1) continue;
      const werift = listeners[0] as (data: Buffer, info: RemoteInfo) => void;
      const ours = (data: Buffer, info: RemoteInfo): void => {
        if (!this.#takes(data)) {
          // werift's listener, with its own try/catch: its DTLS parser throws on a short datagram.
          werift(data, info);
          return;
        }
        const pair = this.#ice.nominated;
        if (pair !== undefined && pair.protocol === protocol) {
          pair.packetsReceived++;
          pair.bytesReceived += data.length;
        }
        this.counters.fromSocket++;
        this.#open(data);
      };
      socket.off('message', werift);
      socket.on('message', ours);
      this.#sockets.push({ socket, werift, ours });
    }
  }

  /** Gives the datagrams back to werift (which is closing the connection). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#dtls.transport.socket.onData === this.#datagram) this.#dtls.transport.socket.onData = this.#werift;
    for (const { socket, werift, ours } of this.#sockets) {
      socket.off('message', ours);
      socket.on('message', werift);
    }
    this.#sockets.length = 0;
  }

  /** Whether this path takes `data`: the lane is up and the datagram is whole application-data records, nothing else. */
  #takes(data: Buffer): boolean {
    return !this.#closed && this.#sctp.associationState === SCTP_ESTABLISHED && this.#onlyApplicationData(data);
  }

  /** Every DTLS datagram that reaches werift's DTLS socket by werift's own chain (what the socket listeners left to it; TCP, TURN). */
  #datagram = (data: Buffer): void => {
    if (!this.#takes(data)) {
      this.counters.toWerift++;
      try {
        this.#werift(data);
      } catch {
        // werift's DTLS parser throws on a datagram too short for a record header; its own callers catch it.
      }
      return;
    }
    this.#open(data);
  };

  /** A datagram #takes accepted: each record opened, each SCTP packet taken. */
  #open(data: Buffer): void {
    this.counters.datagrams++;
    try {
      for (let at = 0; at < data.length; at += DTLS_RECORD_HEADER + data.readUInt16BE(at + 11)) {
        const plain = this.#codec.open(data, at);
        if (plain !== null) this.#packet(plain);
      }
    } catch (error) {
      // Nothing here should throw (every read is bounds-checked); if something does — a bug, or the
      // message callback — it is this datagram that is lost, never the thread (a throw from a socket
      // listener would end it).
      if (this.counters.errors++ === 0) log.error('the voice lane could not take a datagram', { error });
    }
  }

  /** Whether `data` is one or more whole application-data records and nothing else. */
  #onlyApplicationData(data: Buffer): boolean {
    let at = 0;
    while (at < data.length) {
      if (data[at] !== DTLS_CONTENT_APPLICATION_DATA || at + DTLS_RECORD_HEADER > data.length) return false;
      at += DTLS_RECORD_HEADER + data.readUInt16BE(at + 11);
    }
    return at === data.length && data.length > 0;
  }

  /** One decrypted SCTP packet. */
  #packet(plain: Buffer): void {
    const sctp = this.#sctp;
    if (plain.length < SCTP_COMMON_HEADER || plain.readUInt32BE(4) !== sctp.localVerificationTag) {
      // An INIT (tag 0, a restart) or something not for this association: werift's rules decide.
      this.#handOver(plain);
      return;
    }
    const checksum = plain.readUInt32LE(8);
    plain.writeUInt32LE(0, 8);
    if (crc32c(plain) !== checksum) {
      this.counters.malformed++;
      return;
    }
    plain.writeUInt32LE(checksum, 8);
    // First pass: is every chunk one this path takes, and well formed?
    let at = SCTP_COMMON_HEADER;
    while (at + 4 <= plain.length) {
      const type = plain[at]!;
      const length = plain.readUInt16BE(at + 2);
      if (length < 4 || at + length > plain.length) {
        this.counters.malformed++;
        return;
      }
      if (type === SCTP_CHUNK_DATA) {
        if (length <= SCTP_DATA_CHUNK_HEADER || plain[at + 1] !== SCTP_FLAGS_WHOLE_UNORDERED || plain.readUInt16BE(at + 8) !== this.#streamId) {
          this.#handOver(plain);
          return;
        }
        const ppid = plain.readUInt32BE(at + 12);
        if (ppid !== PPID_BINARY && ppid !== PPID_BINARY_EMPTY && ppid !== PPID_STRING && ppid !== PPID_STRING_EMPTY) {
          this.#handOver(plain);
          return;
        }
      } else if (type === SCTP_CHUNK_SACK) {
        if (length < SCTP_SACK_CHUNK_HEADER || length < SCTP_SACK_CHUNK_HEADER + 4 * (plain.readUInt16BE(at + 12) + plain.readUInt16BE(at + 14))) {
          this.counters.malformed++;
          return;
        }
      } else {
        this.#handOver(plain);
        return;
      }
      at += (length + 3) & ~3;
    }
    // Second pass: the association's books — every DATA chunk's TSN, then the SACK; a chunk not to be
    // delivered (seen before, or too far ahead) has its type byte struck out in our own plaintext.
    let data = false;
    let urgent = false;
    let sackTaken = false;
    for (at = SCTP_COMMON_HEADER; at + 4 <= plain.length; at += (plain.readUInt16BE(at + 2) + 3) & ~3) {
      if (plain[at] === SCTP_CHUNK_SACK) {
        // One SACK per packet is all a peer sends (RFC 9260 §6.2); more would only be work for us.
        if (!sackTaken) this.#sackChunk(plain, at);
        sackTaken = true;
        continue;
      }
      data = true;
      if (!this.#markReceived(plain.readUInt32BE(at + 4))) {
        plain[at] = NOT_DELIVERED;
        urgent = true;
      }
    }
    if (data) {
      sctp.sackNeeded = true;
      this.#sender.dataReceived(urgent || sctp.sackMisOrdered.size > 0);
    }
    // Third pass: the messages, once the books are straight (the callback may throw, or close the peer).
    if (!data) return;
    for (at = SCTP_COMMON_HEADER; at + 4 <= plain.length && !this.#closed; at += (plain.readUInt16BE(at + 2) + 3) & ~3) {
      if (plain[at] === SCTP_CHUNK_DATA) this.#deliver(plain, at);
    }
  }

  #deliver(plain: Buffer, at: number): void {
    const length = plain.readUInt16BE(at + 2);
    const ppid = plain.readUInt32BE(at + 12);
    const stats = this.#stats;
    stats.messagesReceived++;
    if (ppid === PPID_BINARY) {
      stats.bytesReceived += length - SCTP_DATA_CHUNK_HEADER;
      this.counters.messages++;
      this.#onMessage(plain.subarray(at + SCTP_DATA_CHUNK_HEADER, at + length));
    } else if (ppid === PPID_BINARY_EMPTY) {
      this.counters.messages++;
      this.#onMessage(EMPTY);
    } else {
      this.#onText();
    }
  }

  /**
   * Records `tsn` in werift's receive state; false if it was received before
   * (reported as a duplicate in the next SACK). TSNs above a gap wait in
   * sackMisOrdered until the gap is filled or skipped by FORWARD-TSN (werift).
   */
  #markReceived(tsn: number): boolean {
    const sctp = this.#sctp;
    const last = sctp.lastReceivedTsn;
    const early = sctp.sackMisOrdered;
    if (early.size === 0 && tsn === ((last + 1) >>> 0)) {
      sctp.lastReceivedTsn = tsn;
      return true;
    }
    if (!uint32Gt(tsn, last) || early.has(tsn)) {
      this.counters.duplicates++;
      if (sctp.sackDuplicates.length < MAX_DUPLICATES_KEPT) sctp.sackDuplicates.push(tsn);
      return false;
    }
    const ahead = (tsn - last) >>> 0;
    if (ahead > MAX_TSN_AHEAD || (early.size >= MAX_OUT_OF_ORDER && ahead !== 1)) {
      // Beyond anything a voice client has in flight (RFC 9260 §6.2 lets a receiver drop what is outside
      // its window): neither recorded nor delivered, so a peer cannot grow this set without bound. The
      // next in order is always taken: it is what empties the set.
      this.counters.outOfWindow++;
      return false;
    }
    early.add(tsn);
    let cumulative = last;
    while (early.has((cumulative + 1) >>> 0)) {
      cumulative = (cumulative + 1) >>> 0;
      early.delete(cumulative);
    }
    sctp.lastReceivedTsn = cumulative;
    return true;
  }

  /**
   * A SACK from the peer, applied at once to werift's association (RFC 9260
   * §6.2.1 processing, §7.2 congestion control, §7.2.4 fast retransmit), by
   * the rules of werift's receiveSackChunk but without its two awaits and
   * the allocations: chunks up to the cumulative TSN leave the sent queue
   * (the first one, if sent once, is an RTT sample); chunks in gap blocks are
   * marked acked; a chunk reported missing three times is abandoned
   * (maxRetransmits 0) or marked for retransmission, and the window halves;
   * the window grows by slow start or congestion avoidance; T3 restarts or
   * stops; then werift's updateAdvancedPeerAckPoint makes a FORWARD-TSN for
   * abandoned chunks, and the sender runs at the end of the turn if anything
   * can go.
   */
  #sackChunk(plain: Buffer, at: number): void {
    const sctp = this.#sctp;
    const cumulative = plain.readUInt32BE(at + 4);
    if (uint32Gt(sctp.lastSackedTsn, cumulative)) return; // older than one already taken: arrived out of order
    this.counters.sacks++;
    sctp.lastSackedTsn = cumulative;
    const windowWasFull = sctp.flightSize >= sctp.cwnd;
    let sent = sctp.sentQueue;
    let acked = 0;
    let ackedBytes = 0;
    while (acked < sent.length && !uint32Gt(sent[acked]!.tsn, cumulative)) {
      const c = sent[acked]!;
      if (!c.acked) {
        ackedBytes += c.bookSize;
        sctp.flightSizeDecrease(c);
      }
      if (acked === 0 && c.sentCount === 1) sctp.updateRto(Date.now() / 1000 - c.sentTime);
      acked++;
    }
    if (acked > 0) {
      if (acked === sent.length) sctp.sentQueue = sent = [];
      else sent.splice(0, acked);
    }
    let loss = false;
    const blocks = Math.min(plain.readUInt16BE(at + 12), MAX_GAP_BLOCKS_TAKEN);
    if (blocks > 0 && sent.length > 0) {
      const first = at + SCTP_SACK_CHUNK_HEADER;
      let highestSeen = 0;
      for (let i = 0; i < blocks; i++) highestSeen = Math.max(highestSeen, plain.readUInt16BE(first + 4 * i + 2));
      let highestNewlyAcked = 0;
      for (let i = 0; i < sent.length; i++) {
        const c = sent[i]!;
        const offset = (c.tsn - cumulative) >>> 0;
        if (offset > highestSeen) break;
        if (!c.acked && inGapBlocks(plain, first, blocks, offset)) {
          ackedBytes += c.bookSize;
          c.acked = true;
          sctp.flightSizeDecrease(c);
          highestNewlyAcked = offset;
        }
      }
      for (let i = 0; i < sent.length; i++) {
        const c = sent[i]!;
        const offset = (c.tsn - cumulative) >>> 0;
        if (offset > highestNewlyAcked) break;
        if (inGapBlocks(plain, first, blocks, offset) || ++c.misses < 3) continue;
        c.misses = 0;
        if (!sctp.maybeAbandon(c)) c.retransmit = true;
        c.acked = false;
        sctp.flightSizeDecrease(c);
        loss = true;
      }
    }
    if (sctp.fastRecoveryExit === undefined) {
      if (acked > 0 && windowWasFull) {
        if (sctp.cwnd <= sctp.ssthresh) {
          sctp.cwnd += Math.min(ackedBytes, sctp.maxPayloadSize);
        } else {
          sctp.partialBytesAcked += ackedBytes;
          if (sctp.partialBytesAcked >= sctp.cwnd) {
            sctp.partialBytesAcked -= sctp.cwnd;
            sctp.cwnd += sctp.maxPayloadSize;
          }
        }
      }
      if (loss) {
        sctp.ssthresh = Math.max(Math.floor(sctp.cwnd / 2), 4 * sctp.maxPayloadSize);
        sctp.cwnd = sctp.ssthresh;
        sctp.partialBytesAcked = 0;
        sctp.fastRecoveryExit = sent[sent.length - 1]!.tsn;
        sctp.fastRecoveryTransmit = true;
      }
    } else if (!uint32Gt(sctp.fastRecoveryExit, cumulative)) {
      sctp.fastRecoveryExit = undefined;
    }
    if (sctp.sentQueue.length === 0) sctp.timer3Cancel();
    else if (acked > 0) sctp.timer3Restart();
    sctp.peerAdvertisedRwnd = plain.readUInt32BE(at + 8);
    sctp.updateAdvancedPeerAckPoint();
    if (this.#channels.dataChannelQueue.length > 0) {
      // werift's own DataChannel queue (DCEP, another channel) waits for SACKs too.
      sctp.onSackReceived().catch((error: unknown) => {
        if (this.#sackErrors++ === 0) log.warn('werift could not flush its DataChannel queue after a SACK', { error });
      });
    }
    if (loss || sctp.forwardTsnChunk || sctp.outboundQueue.length > 0 || this.#sender.queuedBytes > 0 || (acked > 0 && awaitsRetransmission(sctp.sentQueue))) this.#sender.wake();
  }

  /** A packet this path does not take goes whole to werift's SCTP, as if werift had decrypted it. */
  #handOver(plain: Buffer): void {
    this.counters.handedOver++;
    this.#dtls.onData.execute(plain);
  }
}
