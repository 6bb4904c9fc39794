/**
 * DTLS 1.2 application-data records for the voice lane, sealed and opened with
 * the keys werift negotiated (RFC 6347 §4.1, RFC 5288 AES-GCM: a 4-byte
 * implicit salt from the key block, an 8-byte explicit nonce carried in the
 * record = epoch ‖ sequence number, AAD = epoch ‖ seq ‖ type ‖ version ‖
 * plaintext length).
 *
 * werift does the same work through a generic record (de)serialiser, one
 * Buffer.concat and a handful of small objects per record, and on the way in
 * through its event chain; here a record is one header written or read in
 * place, one cipher call and one copy. Record numbers come from werift's
 * counter and the one rule every record the server encrypts obeys
 * (werift-patches.ts, claimRecordNumber), so werift's own records and these
 * interleave correctly. Incoming records pass an anti-replay window (RFC 6347
 * §4.1.2.6), which werift does not have.
 *
 * Node gives no way to reuse an AES-GCM context across nonces: each record
 * costs one createCipheriv/createDecipheriv with a KeyObject (built once here).
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { claimRecordNumber } from './werift-patches.ts';
import { DTLS_CONTENT_APPLICATION_DATA, DTLS_RECORD_HEADER } from './sctp-wire.ts';
import type { CipherContextLike, DtlsSocketLike } from './werift-internals.ts';

const SESSION_CLIENT = 1;
const IMPLICIT_NONCE = 4;
const EXPLICIT_NONCE = 8;
const TAG = 16;
/** Records per epoch the anti-replay window remembers (RFC 6347 asks for at least 32). */
export const REPLAY_WINDOW = 128;

export interface CodecCounters {
  sealed: number;
  opened: number;
  /** Records whose authentication failed (or too short to hold a nonce and a tag): dropped. */
  forged: number;
  /** Records seen before, or older than the window: dropped. */
  replayed: number;
}

export class DtlsRecordCodec {
  readonly #socket: DtlsSocketLike;
  #ctx: CipherContextLike | null = null;
  #algorithm = '';
  #writeKey: KeyObject | null = null;
  #readKey: KeyObject | null = null;
  readonly #writeNonce = Buffer.alloc(IMPLICIT_NONCE + EXPLICIT_NONCE);
  readonly #readNonce = Buffer.alloc(IMPLICIT_NONCE + EXPLICIT_NONCE);
  readonly #aad = Buffer.alloc(13);
  #windowEpoch = -1;
  #maxSeq = -1;
  readonly #seen = new Uint8Array(REPLAY_WINDOW);
  readonly counters: CodecCounters = { sealed: 0, opened: 0, forged: 0, replayed: 0 };

  /** Takes werift's negotiated keys from `socket` (a connected DtlsSocket). Throws for a suite it does not know. */
  constructor(socket: DtlsSocketLike) {
    this.#socket = socket;
    this.#load();
  }

  /** (Re)reads the keys when werift's cipher context is not the one they came from (a DTLS renegotiation). */
  #load(): void {
    const ctx = this.#socket.cipher;
    const c = ctx?.cipher;
    if (!c || (c.blockAlgorithm !== 'aes-128-gcm' && c.blockAlgorithm !== 'aes-256-gcm')) {
      throw new Error(`the DTLS suite (${String(c?.blockAlgorithm)}) is not AES-GCM: review server/rtc/dtls-record-codec.ts`);
    }
    if (c.nonceImplicitLength !== IMPLICIT_NONCE || c.nonceExplicitLength !== EXPLICIT_NONCE || c.authTagLength !== TAG) {
      throw new Error('werift\'s AEAD nonce/tag layout changed: review server/rtc/dtls-record-codec.ts');
    }
    const client = ctx.sessionType === SESSION_CLIENT;
    const write = client ? c.clientWriteKey : c.serverWriteKey;
    const read = client ? c.serverWriteKey : c.clientWriteKey;
    const writeSalt = client ? c.clientNonce : c.serverNonce;
    const readSalt = client ? c.serverNonce : c.clientNonce;
    if (!write || !read || !writeSalt || !readSalt) throw new Error('DTLS keys are not negotiated yet');
    this.#writeKey = Buffer.isBuffer(write) ? createSecretKey(write) : write;
    this.#readKey = Buffer.isBuffer(read) ? createSecretKey(read) : read;
    writeSalt.copy(this.#writeNonce, 0, 0, IMPLICIT_NONCE);
    readSalt.copy(this.#readNonce, 0, 0, IMPLICIT_NONCE);
    this.#algorithm = c.blockAlgorithm;
    this.#ctx = ctx;
    this.#windowEpoch = -1;
    this.#maxSeq = -1;
  }

  /** One application-data record carrying `plain`, numbered and encrypted in werift's current epoch. */
  seal(plain: Uint8Array): Buffer {
    if (this.#socket.cipher !== this.#ctx) this.#load();
    const d = this.#socket.dtls;
    const epoch = d.epoch;
    const seq = claimRecordNumber(this.#ctx!, epoch, ++d.recordSequenceNumber);
    const nonce = this.#writeNonce;
    nonce.writeUInt16BE(epoch, IMPLICIT_NONCE);
    nonce.writeUIntBE(seq, IMPLICIT_NONCE + 2, 6);
    const aad = this.#aad;
    aad.writeUInt16BE(epoch, 0);
    aad.writeUIntBE(seq, 2, 6);
    aad[8] = DTLS_CONTENT_APPLICATION_DATA;
    aad[9] = d.version.major;
    aad[10] = d.version.minor;
    aad.writeUInt16BE(plain.length, 11);
    const cipher = createCipheriv(this.#algorithm as 'aes-128-gcm', this.#writeKey!, nonce, { authTagLength: TAG });
    cipher.setAAD(aad, { plaintextLength: plain.length });
    const body = cipher.update(plain);
    cipher.final();
    const tag = cipher.getAuthTag();
    const fragment = EXPLICIT_NONCE + body.length + TAG;
    const record = Buffer.allocUnsafe(DTLS_RECORD_HEADER + fragment);
    record[0] = DTLS_CONTENT_APPLICATION_DATA;
    record[1] = d.version.major;
    record[2] = d.version.minor;
    record.writeUInt16BE(epoch, 3);
    record.writeUIntBE(seq, 5, 6);
    record.writeUInt16BE(fragment, 11);
    nonce.copy(record, DTLS_RECORD_HEADER, IMPLICIT_NONCE);
    body.copy(record, DTLS_RECORD_HEADER + EXPLICIT_NONCE);
    tag.copy(record, DTLS_RECORD_HEADER + EXPLICIT_NONCE + body.length);
    this.counters.sealed++;
    return record;
  }

  /**
   * The plaintext of the application-data record whose header starts at
   * `at` in `datagram` (the caller checked that the whole record is there),
   * or null if it fails authentication or was seen before.
   */
  open(datagram: Buffer, at: number): Buffer | null {
    if (this.#socket.cipher !== this.#ctx) this.#load();
    const length = datagram.readUInt16BE(at + 11);
    if (length < EXPLICIT_NONCE + TAG) {
      this.counters.forged++;
      return null;
    }
    const epoch = datagram.readUInt16BE(at + 3);
    const seq = datagram.readUIntBE(at + 5, 6);
    if (this.#isReplay(epoch, seq)) {
      this.counters.replayed++;
      return null;
    }
    const start = at + DTLS_RECORD_HEADER;
    const end = start + length;
    const nonce = this.#readNonce;
    datagram.copy(nonce, IMPLICIT_NONCE, start, start + EXPLICIT_NONCE);
    const plainLength = length - EXPLICIT_NONCE - TAG;
    const aad = this.#aad;
    aad.writeUInt16BE(epoch, 0);
    aad.writeUIntBE(seq, 2, 6);
    aad[8] = datagram[at]!;
    aad[9] = datagram[at + 1]!;
    aad[10] = datagram[at + 2]!;
    aad.writeUInt16BE(plainLength, 11);
    const decipher = createDecipheriv(this.#algorithm as 'aes-128-gcm', this.#readKey!, nonce, { authTagLength: TAG });
    decipher.setAuthTag(datagram.subarray(end - TAG, end));
    decipher.setAAD(aad, { plaintextLength: plainLength });
    const plain = decipher.update(datagram.subarray(start + EXPLICIT_NONCE, end - TAG));
    try {
      decipher.final();
    } catch {
      this.counters.forged++;
      return null;
    }
    this.#accept(epoch, seq);
    this.counters.opened++;
    return plain;
  }

  /** Whether `seq` of `epoch` was accepted before, or is too old to tell (RFC 6347 §4.1.2.6). */
  #isReplay(epoch: number, seq: number): boolean {
    if (epoch !== this.#windowEpoch) return epoch < this.#windowEpoch;
    if (seq > this.#maxSeq) return false;
    return this.#maxSeq - seq >= REPLAY_WINDOW || this.#seen[seq % REPLAY_WINDOW] === 1;
  }

  /** Marks an authenticated record in the window (only authenticated records move it). */
  #accept(epoch: number, seq: number): void {
    const seen = this.#seen;
    if (epoch !== this.#windowEpoch) {
      this.#windowEpoch = epoch;
      this.#maxSeq = -1;
    }
    if (seq > this.#maxSeq) {
      if (this.#maxSeq < 0 || seq - this.#maxSeq >= REPLAY_WINDOW) seen.fill(0);
      else for (let s = this.#maxSeq + 1; s < seq; s++) seen[s % REPLAY_WINDOW] = 0;
      this.#maxSeq = seq;
    }
    seen[seq % REPLAY_WINDOW] = 1;
  }
}
