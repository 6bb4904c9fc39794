/**
 * SCTP-over-DTLS wire facts the voice lane reads and writes (RFC 9260, RFC
 * 8831, RFC 6347), in one place for the sender, the receiver and their tests.
 */

/** SCTP packet size cap, common header included: under a 1280-byte IPv6 path with DTLS, UDP and IP on top. */
export const MAX_SCTP_PACKET = 1188;
/** The SCTP common header: ports, verification tag, CRC32c. */
export const SCTP_COMMON_HEADER = 12;
/** An SCTP DATA chunk's header (RFC 9260 §3.3.1), before the user data. */
export const SCTP_DATA_CHUNK_HEADER = 16;
/** A SACK chunk without gap blocks or duplicate TSNs (RFC 9260 §3.3.4). */
export const SCTP_SACK_CHUNK_HEADER = 16;
/** A DTLS 1.2 record header, before the (encrypted) fragment. */
export const DTLS_RECORD_HEADER = 13;
export const DTLS_CONTENT_APPLICATION_DATA = 23;

export const SCTP_CHUNK_DATA = 0;
export const SCTP_CHUNK_SACK = 3;

/** DATA chunk flags: U (unordered), B (first fragment), E (last fragment). */
export const SCTP_FLAG_UNORDERED = 0x04;
export const SCTP_FLAG_FIRST = 0x02;
export const SCTP_FLAG_LAST = 0x01;
/** U, B and E: an unordered message in one chunk. */
export const SCTP_FLAGS_WHOLE_UNORDERED = SCTP_FLAG_UNORDERED | SCTP_FLAG_FIRST | SCTP_FLAG_LAST;

/** DataChannel payload protocol identifiers (RFC 8831 §8). */
export const PPID_STRING = 51;
export const PPID_BINARY = 53;
export const PPID_STRING_EMPTY = 56;
export const PPID_BINARY_EMPTY = 57;
