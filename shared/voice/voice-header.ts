/**
 * The voice datagram codec. Layout (all big-endian), see docs/protocol.md:
 *
 *   0..3    u32  session token of the sender (never 0)
 *   4..11   u64  bit 63: whisper flag; bits 62..0: sequence (must be < 2^53)
 *   12..15  u32  timestamp in samples at 48 kHz (+960 per 20 ms frame, wraps)
 *   16..19  u32  whisper target session token (only when the whisper flag is set)
 *   then    raw Opus packet
 *
 * Zero bytes is a keep-alive; exactly 16 bytes without the whisper flag is a ping.
 * `readVoiceHeader` is the hot-path entry: it fills a caller-owned object and
 * allocates nothing. Any byte string gives a header or a reason, never an exception.
 */
import {
  MAX_DATAGRAM_BYTES,
  MAX_SEQUENCE,
  MAX_SEQUENCE_HIGH_WORD,
  VOICE_HEADER_BYTES,
  WHISPER_FLAG_HIGH_WORD,
  WHISPER_TARGET_BYTES,
} from './constants.ts';
import { fail, ok, type Result } from '../util/result.ts';

export type DatagramKind = 'keepalive' | 'ping' | 'voice' | 'whisper';

export type VoiceDecodeFailure =
  | 'too-short' // 1..15 bytes, or a whisper without its target token
  | 'too-long' // more than MAX_DATAGRAM_BYTES
  | 'zero-token' // sender or whisper target token 0 (reserved: "no session")
  | 'sequence-out-of-range' // reserved bits 62..53 of the sequence field set
  | 'empty-payload'; // a whisper with a target but no Opus bytes

export interface VoiceHeader {
  kind: DatagramKind;
  /** Sender's session token (0 only for keep-alives). */
  token: number;
  sequence: number;
  timestamp: number;
  /** Whisper target token; 0 when not a whisper. */
  target: number;
  /** Offset of the Opus payload in the datagram. */
  payloadOffset: number;
  payloadLength: number;
}

export function createVoiceHeader(): VoiceHeader {
  return { kind: 'keepalive', token: 0, sequence: 0, timestamp: 0, target: 0, payloadOffset: 0, payloadLength: 0 };
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Decodes `bytes` into `out` without allocating. Returns null on success, else the reason. */
export function readVoiceHeader(bytes: Uint8Array, out: VoiceHeader): VoiceDecodeFailure | null {
  const n = bytes.length;
  if (n === 0) {
    out.kind = 'keepalive';
    out.token = 0;
    out.sequence = 0;
    out.timestamp = 0;
    out.target = 0;
    out.payloadOffset = 0;
    out.payloadLength = 0;
    return null;
  }
  if (n < VOICE_HEADER_BYTES) return 'too-short';
  if (n > MAX_DATAGRAM_BYTES) return 'too-long';
  const token = readU32(bytes, 0);
  if (token === 0) return 'zero-token';
  const high = readU32(bytes, 4);
  const whisper = (high & WHISPER_FLAG_HIGH_WORD) !== 0;
  const seqHigh = high & 0x7fff_ffff;
  if (seqHigh > MAX_SEQUENCE_HIGH_WORD) return 'sequence-out-of-range';
  out.token = token;
  out.sequence = seqHigh * 0x1_0000_0000 + readU32(bytes, 8);
  out.timestamp = readU32(bytes, 12);
  if (whisper) {
    if (n < VOICE_HEADER_BYTES + WHISPER_TARGET_BYTES) return 'too-short';
    const target = readU32(bytes, VOICE_HEADER_BYTES);
    if (target === 0) return 'zero-token';
    if (n === VOICE_HEADER_BYTES + WHISPER_TARGET_BYTES) return 'empty-payload';
    out.kind = 'whisper';
    out.target = target;
    out.payloadOffset = VOICE_HEADER_BYTES + WHISPER_TARGET_BYTES;
  } else {
    out.kind = n === VOICE_HEADER_BYTES ? 'ping' : 'voice';
    out.target = 0;
    out.payloadOffset = VOICE_HEADER_BYTES;
  }
  out.payloadLength = n - out.payloadOffset;
  return null;
}

/** Allocating convenience wrapper around `readVoiceHeader` for code off the hot path. */
export function decodeVoiceHeader(bytes: Uint8Array): Result<VoiceHeader, VoiceDecodeFailure> {
  const out = createVoiceHeader();
  const reason = readVoiceHeader(bytes, out);
  return reason === null ? ok(out) : fail(reason);
}

export interface VoiceHeaderFields {
  token: number;
  sequence: number;
  timestamp: number;
  /** Whisper target token; omit or 0 for a normal datagram. */
  target?: number;
}

function checkFields(f: VoiceHeaderFields): void {
  if (!Number.isInteger(f.token) || f.token <= 0 || f.token > 0xffff_ffff) throw new TypeError('token must be a u32 > 0');
  if (!Number.isInteger(f.sequence) || f.sequence < 0 || f.sequence > MAX_SEQUENCE) {
    throw new TypeError('sequence must be an integer in [0, 2^53)');
  }
  if (!Number.isInteger(f.timestamp) || f.timestamp < 0 || f.timestamp > 0xffff_ffff) throw new TypeError('timestamp must be a u32');
  const t = f.target ?? 0;
  if (!Number.isInteger(t) || t < 0 || t > 0xffff_ffff) throw new TypeError('target must be a u32');
}

/** Bytes taken by the header (and whisper target, when `whisper`). */
export function voiceHeaderByteLength(whisper: boolean): number {
  return whisper ? VOICE_HEADER_BYTES + WHISPER_TARGET_BYTES : VOICE_HEADER_BYTES;
}

/** Writes the header at `view[offset]`; returns the payload offset. */
export function encodeVoiceHeaderInto(view: Uint8Array, offset: number, f: VoiceHeaderFields): number {
  checkFields(f);
  const target = f.target ?? 0;
  const need = voiceHeaderByteLength(target !== 0);
  if (offset < 0 || offset + need > view.length) throw new RangeError('voice header does not fit in the view');
  const seqHigh = Math.floor(f.sequence / 0x1_0000_0000);
  writeU32(view, offset, f.token);
  writeU32(view, offset + 4, (target !== 0 ? WHISPER_FLAG_HIGH_WORD | seqHigh : seqHigh) >>> 0);
  writeU32(view, offset + 8, f.sequence >>> 0);
  writeU32(view, offset + 12, f.timestamp);
  if (target !== 0) writeU32(view, offset + VOICE_HEADER_BYTES, target);
  return offset + need;
}

/** Builds a whole datagram: header (+ target) + payload. Empty payload without target gives a ping. */
export function encodeVoiceDatagram(f: VoiceHeaderFields, payload: Uint8Array): Uint8Array {
  const whisper = (f.target ?? 0) !== 0;
  const out = new Uint8Array(voiceHeaderByteLength(whisper) + payload.length);
  if (out.length > MAX_DATAGRAM_BYTES) throw new RangeError('payload larger than one Opus packet');
  if (whisper && payload.length === 0) throw new TypeError('a whisper needs a payload');
  const at = encodeVoiceHeaderInto(out, 0, f);
  out.set(payload, at);
  return out;
}
