/**
 * The floor's record mode (`udp-floor-relay.ts --records`): what any relay of
 * DTLS-protected datagrams pays in Node before SCTP, ICE or any relay logic —
 * every datagram opened and every copy sealed as one AES-128-GCM DTLS record,
 * through the relay's own DtlsRecordCodec (one createCipheriv/createDecipheriv
 * per record, a KeyObject per key), and every second record a listener gets
 * answered by a 28-byte sealed record, as libwebrtc's SACKs answer every second
 * packet. Both ends derive a member's keys from its token, so nothing but the
 * token is exchanged (a benchmark, not a protocol).
 */
import { createHash } from 'node:crypto';
import { DtlsRecordCodec } from '../server/rtc/dtls-record-codec.ts';
import { DTLS_RECORD_HEADER } from '../server/rtc/sctp-wire.ts';
import type { DtlsSocketLike } from '../server/rtc/werift-internals.ts';

/** The plaintext of an ack record: an SCTP common header and a SACK chunk without gaps. */
export const FLOOR_ACK_BYTES = 28;

const SESSION_CLIENT = 1;
const SESSION_SERVER = 2;

function derive(token: number, what: string, length: number): Buffer {
  return createHash('sha256').update(`voice-bench-floor ${what} ${token}`).digest().subarray(0, length);
}

/** Whether `datagram` is one whole record, as its header says, for the codec to open (which refuses a fragment too short for a nonce and a tag). */
export function isWholeRecord(datagram: Buffer): boolean {
  return datagram.length >= DTLS_RECORD_HEADER && datagram.readUInt16BE(11) === datagram.length - DTLS_RECORD_HEADER;
}

/** The codec for `token`'s records, as the bot (client) or the relay (server) holds it. */
export function floorCodec(token: number, side: 'client' | 'server'): DtlsRecordCodec {
  const socket: DtlsSocketLike = {
    dtls: { version: { major: 0xfe, minor: 0xfd }, epoch: 1, recordSequenceNumber: 0 },
    cipher: {
      sessionType: side === 'client' ? SESSION_CLIENT : SESSION_SERVER,
      cipher: {
        blockAlgorithm: 'aes-128-gcm',
        nonceImplicitLength: 4,
        nonceExplicitLength: 8,
        authTagLength: 16,
        clientWriteKey: derive(token, 'client key', 16),
        serverWriteKey: derive(token, 'server key', 16),
        clientNonce: derive(token, 'client salt', 4),
        serverNonce: derive(token, 'server salt', 4),
      },
    },
    onData: { execute: () => {} },
    transport: { socket: { onData: () => {} } },
    udpOnMessage: () => {},
  };
  return new DtlsRecordCodec(socket);
}
