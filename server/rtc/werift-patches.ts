/**
 * Corrections to werift 0.25.2, each proven by a test that fails without it.
 *
 * 1. DTLS record sequence reuse. werift numbers the Finished record in epoch 1
 * with the sequence counter it used in epoch 0 (say 6), then resets the counter,
 * so the sixth application record of epoch 1 reuses number 6 and the peer's
 * anti-replay window (RFC 6347 §4.1.2.6) discards it: the 4th or so DataChannel
 * message of every connection vanished. The fix keeps the record numbers of
 * each epoch strictly increasing at the one place every encrypted record
 * passes (CipherContext.encryptPacket), before the AEAD nonce is derived.
 *
 * 2. Per-record key set-up. werift hands the raw AES-GCM key Buffer to
 * createCipheriv/createDecipheriv for every record, so Node builds a new key
 * object each time (getKeyObjectSlots/getSlots were ~30 % of the relay's busy
 * time in `npm run bench:relay -- --profile`). The write keys are turned into
 * KeyObjects once, the first time a record is encrypted or decrypted with them.
 *
 * 3. SCTP partial reliability, applied to the SCTP class the first time a peer
 * connection exposes it (the ESM bundle does not export the class itself).
 *
 * werift's `maybeAbandon` tests `!!chunk.maxRetransmits`, so a channel with
 * maxRetransmits 0 — exactly what voice wants — is treated as fully reliable:
 * a lost datagram is retransmitted until it arrives, seconds late, and every
 * later one queues behind it in the congestion window. It also marks the wrong
 * chunk (the first DATA chunk in the queue, not the one being judged).
 * The replacement abandons a chunk once it has been sent more than
 * maxRetransmits times, marks that chunk's own fragments, and lets werift's
 * updateAdvancedPeerAckPoint send FORWARD-TSN (RFC 3758) so the peer skips it.
 * e2e/integration/voice-loss.test.ts proves the effect on the wire.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { CipherContext } from 'werift';
import { SCTP_FLAG_FIRST, SCTP_FLAG_LAST } from './sctp-wire.ts';

const PATCHED = Symbol.for('voice-app.werift-sctp-patched');
const DTLS_PATCHED = Symbol.for('voice-app.werift-dtls-patched');
const LAST_RECORD = Symbol('voice-app.last-record');

interface RecordHeader {
  epoch: number;
  sequenceNumber: number;
}

type CipherWithLast = { [LAST_RECORD]?: { epoch: number; seq: number }; cipher?: AeadKeys };

interface AeadKeys {
  clientWriteKey?: Buffer | KeyObject;
  serverWriteKey?: Buffer | KeyObject;
}

let useKeyObjects = true;

/** Benchmarks only (VOICE_RTC_SEND_PATH=stock): leave werift's raw keys alone, as stock werift does. Per thread. */
export function keepRawWeriftKeys(): void {
  useKeyObjects = false;
}

/** Fix 2: swaps the suite's raw write keys for KeyObjects (idempotent; a no-op once done). */
function keyObjects(c: AeadKeys | undefined): void {
  if (!c || !useKeyObjects) return;
  if (Buffer.isBuffer(c.clientWriteKey)) c.clientWriteKey = createSecretKey(c.clientWriteKey);
  if (Buffer.isBuffer(c.serverWriteKey)) c.serverWriteKey = createSecretKey(c.serverWriteKey);
}

/**
 * Fix 1 for one record: the number `proposed` (werift's counter) for a record
 * of `epoch` encrypted with `cipherContext`, or one past the last number used
 * in that epoch if werift's would repeat it. Every record the server encrypts
 * goes through here, werift's (patched encryptPacket) and the voice lane's
 * (dtls-record-codec.ts).
 */
export function claimRecordNumber(cipherContext: object, epoch: number, proposed: number): number {
  const ctx = cipherContext as CipherWithLast;
  const last = ctx[LAST_RECORD];
  if (last === undefined || last.epoch !== epoch) {
    ctx[LAST_RECORD] = { epoch, seq: proposed };
    return proposed;
  }
  const seq = proposed <= last.seq ? last.seq + 1 : proposed;
  last.seq = seq;
  return seq;
}

/** Installs fixes 1 and 2 on werift's CipherContext; idempotent. */
export function patchWeriftDtls(): void {
  const proto = CipherContext.prototype as unknown as Record<symbol | string, unknown>;
  if (proto[DTLS_PATCHED]) return;
  const original = proto['encryptPacket'] as (this: unknown, pkt: { recordLayerHeader: RecordHeader }) => unknown;
  if (typeof original !== 'function') throw new Error('werift CipherContext has no encryptPacket: review server/rtc/werift-patches.ts');
  const originalDecrypt = proto['decryptPacket'] as (this: unknown, pkt: unknown) => unknown;
  if (typeof originalDecrypt !== 'function') throw new Error('werift CipherContext has no decryptPacket: review server/rtc/werift-patches.ts');
  proto['decryptPacket'] = function decryptPacket(this: CipherWithLast, pkt: unknown) {
    keyObjects(this.cipher);
    return originalDecrypt.call(this, pkt);
  };
  proto['encryptPacket'] = function encryptPacket(this: CipherWithLast, pkt: { recordLayerHeader: RecordHeader }) {
    keyObjects(this.cipher);
    const h = pkt.recordLayerHeader;
    h.sequenceNumber = claimRecordNumber(this, h.epoch, h.sequenceNumber);
    return original.call(this, pkt);
  };
  proto[DTLS_PATCHED] = true;
}



interface SentChunk {
  abandoned: boolean;
  retransmit: boolean;
  flags: number;
  sentCount: number;
  maxRetransmits?: number | undefined;
  expiry?: number | undefined;
}

interface SctpLike {
  sentQueue: SentChunk[];
}

function maybeAbandon(this: SctpLike, chunk: SentChunk): boolean {
  if (chunk.abandoned) return true;
  const overRetransmits = chunk.maxRetransmits !== undefined && chunk.maxRetransmits !== null && chunk.sentCount > chunk.maxRetransmits;
  // werift stores expiry in mixed units (ms + s); keep its own rule for it, unchanged.
  const expired = !!chunk.expiry && chunk.expiry < Date.now() / 1000;
  if (!overRetransmits && !expired) return false;
  const queue = this.sentQueue;
  const at = queue.indexOf(chunk);
  if (at < 0) {
    chunk.abandoned = true;
    chunk.retransmit = false;
    return true;
  }
  // A message is abandoned whole: walk back to its first fragment and forward to its last.
  let first = at;
  while (first > 0 && (queue[first]!.flags & SCTP_FLAG_FIRST) === 0) first--;
  for (let i = first; i < queue.length; i++) {
    const c = queue[i]!;
    c.abandoned = true;
    c.retransmit = false;
    if ((c.flags & SCTP_FLAG_LAST) !== 0) break;
  }
  return true;
}

/** Patches the SCTP class behind `sctpInstance` once per process; returns true if this call patched it. */
export function patchWeriftSctp(sctpInstance: object): boolean {
  const proto = Object.getPrototypeOf(sctpInstance) as Record<string | symbol, unknown>;
  if (proto[PATCHED]) return false;
  if (typeof proto['maybeAbandon'] !== 'function') {
    throw new Error('werift SCTP has no maybeAbandon: the werift version changed, review server/rtc/werift-patches.ts');
  }
  proto['maybeAbandon'] = maybeAbandon;
  proto[PATCHED] = true;
  return true;
}

