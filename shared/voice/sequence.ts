/**
 * Sequence and timestamp arithmetic. Sequences are plain numbers below 2^53
 * (see MAX_SEQUENCE); timestamps are u32 sample counters that wrap.
 */
import { MAX_SEQUENCE } from './constants.ts';

/** The sequence after `seq`; throws RangeError past MAX_SEQUENCE instead of losing precision. */
export function nextSequence(seq: number): number {
  if (seq >= MAX_SEQUENCE) throw new RangeError('voice sequence exhausted');
  return seq + 1;
}

/** `ts + samples` on the u32 timestamp circle. */
export function advanceTimestamp(ts: number, samples: number): number {
  return (ts + samples) >>> 0;
}

/** Signed distance from `from` to `to` on the u32 timestamp circle, in samples. */
export function timestampDelta(from: number, to: number): number {
  return (to - from) | 0;
}
