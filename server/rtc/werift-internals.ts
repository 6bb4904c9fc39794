/**
 * The parts of werift 0.25.2's SCTP association, DTLS socket and ICE
 * connection that the voice lane (voice-lane-sender.ts, voice-lane-receiver.ts,
 * dtls-record-codec.ts) reads and drives, found on an RTCPeerConnection and
 * checked once: if werift changes, the lane refuses to attach (loudly) and the
 * peer keeps werift's own paths.
 */
import type { Socket } from 'node:dgram';
import type { RTCPeerConnection } from 'werift';
import { MAX_SCTP_PACKET, SCTP_COMMON_HEADER, SCTP_DATA_CHUNK_HEADER } from './sctp-wire.ts';

/** werift's SCTP_STATE.ESTABLISHED (a numeric enum the ESM bundle does not export). */
export const SCTP_ESTABLISHED = 4;

/** A DATA chunk as werift's SCTP keeps it in its outbound and sent queues. */
export interface DataChunkLike {
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
  acked: boolean;
}

export interface SctpAssociation {
  associationState: number;
  isStopped?: boolean;
  state: string;
  localPort: number;
  remotePort: number | undefined;
  localVerificationTag: number;
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
  // What a receiver keeps (RFC 9260 §6.2): werift's own names, shared with its receive path.
  lastReceivedTsn: number;
  sackMisOrdered: Set<number>;
  sackDuplicates: number[];
  sackNeeded: boolean;
  sackImmediate: boolean;
  sackPacketCount: number;
  advertisedRwnd: number;
  // What a sender keeps about the peer's SACKs (RFC 9260 §6.2.1, §7.2).
  lastSackedTsn: number;
  ssthresh: number;
  partialBytesAcked: number;
  peerAdvertisedRwnd: number;
  flightSizeDecrease(chunk: DataChunkLike): void;
  updateRto(rttSeconds: number): void;
  maybeAbandon(chunk: DataChunkLike): boolean;
  updateAdvancedPeerAckPoint(): void;
  timer3Cancel(): void;
  /** werift's RTCSctpTransport flushes its own DataChannel queue here (DCEP, other channels). */
  onSackReceived(): Promise<void>;
}

/** werift's RTCSctpTransport: its queue of DataChannel messages (DCEP, channels other than the lane) waiting for the window. */
export interface SctpTransportLike {
  dataChannelQueue: unknown[];
}

/** werift's AEADCipher: the negotiated suite's keys and nonces (written once the handshake is done). */
export interface AeadCipherLike {
  blockAlgorithm: string;
  nonceImplicitLength: number;
  nonceExplicitLength: number;
  authTagLength: number;
  clientWriteKey?: Buffer | import('node:crypto').KeyObject;
  serverWriteKey?: Buffer | import('node:crypto').KeyObject;
  clientNonce?: Buffer;
  serverNonce?: Buffer;
}

export interface CipherContextLike {
  /** werift's SessionType: 1 client, 2 server. */
  sessionType: number;
  cipher?: AeadCipherLike;
}

export interface DtlsSocketLike {
  dtls: { version: { major: number; minor: number }; epoch: number; recordSequenceNumber: number };
  /** Replaced by werift on DTLS renegotiation: read it each time. */
  cipher: CipherContextLike;
  /** Where werift hands decrypted application data (SCTP packets) on. */
  onData: { execute(data: Buffer): void };
  /** werift's ICE transport under the DTLS socket: `onData` is called with every DTLS datagram. */
  transport: { socket: { onData: (data: Buffer) => void } };
  udpOnMessage: (data: Buffer) => void;
}

/** werift's UdpTransport holds a node:dgram socket (its TCP and TURN transports do not). */
export type UdpSocketLike = Pick<Socket, 'send' | 'listeners' | 'on' | 'off'>;

/** werift's StunProtocol: one local candidate's transport. */
export interface IceProtocolLike {
  transport?: { closed?: boolean; socket?: UdpSocketLike };
  sendData(data: Buffer, addr: [string, number]): Promise<void>;
}

export interface CandidatePairLike {
  remoteAddr: [string, number];
  /** werift's getStats counts these for the nominated pair. */
  packetsReceived: number;
  bytesReceived: number;
  protocol: IceProtocolLike;
}

export interface IceConnectionLike {
  nominated?: CandidatePairLike;
  protocols: IceProtocolLike[];
  canSendApplicationData(): boolean;
}

export interface WeriftTransports {
  sctp: SctpAssociation;
  channels: SctpTransportLike;
  dtls: DtlsSocketLike;
  ice: IceConnectionLike;
}

const SCTP_MEMBERS = [
  'outboundQueue', 'sentQueue', 'flightSizeIncrease', 'timer3Start', 'timer3Restart', 'sendChunk', 'flush',
  'sackMisOrdered', 'sackDuplicates', 'flightSizeDecrease', 'updateRto', 'maybeAbandon',
  'updateAdvancedPeerAckPoint', 'timer3Cancel', 'onSackReceived', 'lastSackedTsn', 'ssthresh', 'partialBytesAcked', 'peerAdvertisedRwnd',
] as const;

/**
 * werift's association, DTLS socket and ICE connection behind `pc`, once its
 * data channel is open. Throws if any of them is missing or lacks what the
 * voice lane drives.
 */
export function weriftTransports(pc: RTCPeerConnection): WeriftTransports {
  const transport = pc.sctpTransport as unknown as { sctp?: SctpAssociation; dataChannelQueue?: unknown[]; dtlsTransport?: { dtls?: DtlsSocketLike; iceTransport?: { connection?: IceConnectionLike } } } | undefined;
  const sctp = transport?.sctp;
  const dtls = transport?.dtlsTransport?.dtls;
  const ice = transport?.dtlsTransport?.iceTransport?.connection;
  if (!sctp || !dtls || !ice) throw new Error('werift peer connection has no SCTP/DTLS/ICE transport: review server/rtc/werift-internals.ts');
  for (const k of SCTP_MEMBERS) {
    if (sctp[k] === undefined) throw new Error(`werift SCTP has no ${k}: the werift version changed, review server/rtc/werift-internals.ts`);
  }
  if (typeof sctp.lastReceivedTsn !== 'number' || typeof sctp.localVerificationTag !== 'number') {
    throw new Error('werift SCTP receive state changed: review server/rtc/werift-internals.ts');
  }
  if (typeof dtls.onData?.execute !== 'function' || typeof dtls.transport?.socket?.onData !== 'function' || typeof dtls.udpOnMessage !== 'function') {
    throw new Error('werift DTLS socket changed: review server/rtc/werift-internals.ts');
  }
  if (!Array.isArray(transport.dataChannelQueue)) throw new Error('werift RTCSctpTransport has no dataChannelQueue: review server/rtc/werift-internals.ts');
  if (typeof ice.canSendApplicationData !== 'function' || !Array.isArray(ice.protocols)) throw new Error('werift ICE connection changed: review server/rtc/werift-internals.ts');
  if (sctp.maxPayloadSize + SCTP_COMMON_HEADER + SCTP_DATA_CHUNK_HEADER > MAX_SCTP_PACKET) {
    // The lane builds every packet in a MAX_SCTP_PACKET buffer: one full chunk must fit.
    throw new Error(`werift's maxPayloadSize ${sctp.maxPayloadSize} does not fit a ${MAX_SCTP_PACKET}-byte packet: review server/rtc/sctp-wire.ts`);
  }
  if (sctp.associationState !== SCTP_ESTABLISHED) {
    throw new Error(`werift SCTP is in state ${String(sctp.associationState)} with the channel open (expected ESTABLISHED = ${SCTP_ESTABLISHED}): review server/rtc/werift-internals.ts`);
  }
  return { sctp, channels: transport as SctpTransportLike, dtls, ice };
}
