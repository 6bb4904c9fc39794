/**
 * What a receiving bot measures per sender: received, lost (sequence gaps),
 * late (arrived after a newer one), RFC 3550 interarrival jitter, and relay
 * delay. Bots stamp the header timestamp with wall-clock samples
 * (ms since the Unix epoch × 48, mod 2^32) of the frame's due time, so any
 * receiver on the same machine reads the schedule back without a side
 * channel. Fixed-size state, no allocation per datagram.
 *
 * Delay from the due time includes the load generator's own lateness in
 * sending (its timers share a core with a hundred peer connections). For the
 * part after the send, each talker logs when it really sent every frame
 * (SendLog) and each receiver keeps every TRANSIT_SAMPLE_EVERY-th frame's
 * (sender, timestamp, arrival); transitSummary joins the two after the run.
 */
import { FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE } from '../../shared/voice/constants.ts';
import type { JitterCounters } from '../../shared/audio/jitter-buffer.ts';
import { bucketPercentile } from '../../shared/util/bucket-histogram.ts';

/** Delay histogram: 0.1 ms buckets up to 2 s. */
const BUCKETS_PER_MS = 10;
const BUCKETS = 20_000;
/** Receivers keep the arrival of frames whose sequence is a multiple of this, for transitSummary. */
export const TRANSIT_SAMPLE_EVERY = 4;

/** Adds every counter of `from` into `into`. */
export function addJitterCounters(into: JitterCounters, from: JitterCounters): void {
  for (const k of Object.keys(into) as (keyof JitterCounters)[]) into[k] += from[k];
}

export function wallClockTimestamp(absMs: number): number {
  return Math.round(absMs * (SAMPLE_RATE / 1000)) % 0x1_0000_0000 >>> 0;
}

/** ms between a wall-clock sample timestamp and `absMs` (handles the 2^32 wrap). */
export function delaySince(timestamp: number, absMs: number): number {
  const now = wallClockTimestamp(absMs);
  return (((now - timestamp) >>> 0) / SAMPLE_RATE) * 1000;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
}

/** Delays in 1/BUCKETS_PER_MS ms buckets (the last one holds everything from 2 s up); percentiles read as the bucket's upper edge. */
export class DelayHistogram {
  readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;

  record(ms: number): void {
    let b = Math.floor(ms * BUCKETS_PER_MS);
    if (b < 0) b = 0;
    else if (b >= BUCKETS) b = BUCKETS - 1;
    this.counts[b]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** Adds a histogram serialised by `toJSON`. */
  merge(other: SerializedHistogram): void {
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    if (other.max > this.max) this.max = other.max;
  }

  toJSON(): SerializedHistogram {
    let last = BUCKETS;
    while (last > 0 && this.counts[last - 1] === 0) last--;
    return { counts: Array.from(this.counts.subarray(0, last)), count: this.count, max: this.max };
  }

  percentiles(): Percentiles {
    // Read as the bucket's upper edge, never above the largest delay seen.
    const q = (p: number): number => Math.min(bucketPercentile(this.counts, 1 / BUCKETS_PER_MS, p) ?? 0, this.max);
    return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: this.max, count: this.count };
  }
}

export interface SerializedHistogram {
  counts: number[];
  count: number;
  max: number;
}

/**
 * One talker's frames: when each was due and when it was really handed to
 * the voice lane (wall-clock ms), indexed by frame number.
 */
export class SendLog {
  readonly token: number;
  /** When frame 0 was due (the schedule: frame n is due FRAME_MS × n later); known from any frame sent. */
  #due0: number | null = null;
  readonly #sentAt: Float64Array;

  constructor(token: number, frames: number) {
    this.token = token;
    this.#sentAt = new Float64Array(frames).fill(Number.NaN);
  }

  /** Frame `n`, due at `dueMs`, went to the voice lane at `sentAtMs` (call only for frames really sent). */
  mark(n: number, dueMs: number, sentAtMs: number): void {
    this.#due0 ??= dueMs - FRAME_MS * n;
    if (n < this.#sentAt.length) this.#sentAt[n] = sentAtMs;
  }

  /** Unsent frames as null: the log crosses process boundaries as JSON, where NaN would become null anyway. */
  toJSON(): SerializedSendLog {
    return { token: this.token, due0: this.#due0, sentAt: Array.from(this.#sentAt, (t) => (Number.isNaN(t) ? null : t)) };
  }
}

export interface SerializedSendLog {
  token: number;
  /** Wall-clock ms frame 0 was due (null: nothing was sent). */
  due0: number | null;
  /** Per frame: when it was handed to the lane (null: not sent). */
  sentAt: (number | null)[];
}

export interface TransitSummary {
  /** From the talker's send() to the receiver's message event (the relay, both ends' WebRTC stacks and the receiver's scheduling). */
  transit: Percentiles;
  /** How late the talkers' sends were against their schedule: the load generator's own lateness. */
  sendLate: Percentiles;
}

/**
 * Joins the talkers' send logs with the receivers' samples (flat triples
 * token, timestamp, arrival ms) from after `measureFromMs`.
 */
export function transitSummary(logs: readonly SerializedSendLog[], samples: readonly number[], measureFromMs: number): TransitSummary {
  const byToken = new Map<number, { due0: number; ts0: number; sentAt: (number | null)[] }>();
  const sendLate = new DelayHistogram();
  for (const log of logs) {
    const due0 = log.due0;
    if (due0 === null) continue;
    byToken.set(log.token, { due0, ts0: wallClockTimestamp(due0), sentAt: log.sentAt });
    for (let n = 0; n < log.sentAt.length; n++) {
      const due = due0 + FRAME_MS * n;
      const sentAt = log.sentAt[n];
      if (due >= measureFromMs && sentAt != null) sendLate.record(sentAt - due);
    }
  }
  const transit = new DelayHistogram();
  for (let i = 0; i + 2 < samples.length; i += 3) {
    const log = byToken.get(samples[i]!);
    if (!log) continue;
    const n = ((samples[i + 1]! - log.ts0) >>> 0) / FRAME_SAMPLES;
    const sentAt = Number.isInteger(n) ? log.sentAt[n] : undefined;
    if (sentAt == null || log.due0 + FRAME_MS * n < measureFromMs) continue;
    transit.record(samples[i + 2]! - sentAt);
  }
  return { transit: transit.percentiles(), sendLate: sendLate.percentiles() };
}

export interface SenderTally {
  received: number;
  firstSeq: number;
  highestSeq: number;
  late: number;
  jitterMs: number;
  lastTransitMs: number;
}

export interface ReceiveSummary {
  received: number;
  /** Frames expected from the sequence ranges seen (per sender: highest - first + 1). */
  expected: number;
  lost: number;
  late: number;
  /** Mean RFC 3550 jitter over senders, ms. */
  jitterMs: number;
  /** From each frame's due time (its header timestamp) to its arrival. */
  delay: Percentiles;
}

export class ReceiveStats {
  readonly senders = new Map<number, SenderTally>();
  /** Frames sent before this wall-clock ms are counted for loss but not in the delay histogram (warm-up). */
  #measureFromMs: number;
  readonly #delay = new DelayHistogram();
  /** Every TRANSIT_SAMPLE_EVERY-th frame after the warm-up: token, timestamp, arrival (wall-clock ms). */
  readonly transitSamples: number[] = [];
  /** Totals merged in from other receivers. */
  #extra = { received: 0, expected: 0, late: 0, jitterSum: 0, senders: 0 };

  constructor(measureFromMs = 0) {
    this.#measureFromMs = measureFromMs;
  }

  setMeasureFrom(absMs: number): void {
    this.#measureFromMs = absMs;
  }

  record(token: number, sequence: number, timestamp: number, absMs: number): void {
    let s = this.senders.get(token);
    if (!s) {
      s = { received: 0, firstSeq: sequence, highestSeq: sequence, late: 0, jitterMs: 0, lastTransitMs: Number.NaN };
      this.senders.set(token, s);
    }
    s.received++;
    if (sequence > s.highestSeq) s.highestSeq = sequence;
    else if (sequence < s.highestSeq) s.late++;
    if (sequence < s.firstSeq) s.firstSeq = sequence;
    const delay = delaySince(timestamp, absMs);
    if (!Number.isNaN(s.lastTransitMs)) {
      const d = Math.abs(delay - s.lastTransitMs);
      s.jitterMs += (d - s.jitterMs) / 16;
    }
    s.lastTransitMs = delay;
    // The due time read back from the timestamp is exact to its 1/48 ms: a frame due right at the start is in.
    if (absMs - delay < this.#measureFromMs - 1000 / SAMPLE_RATE) return;
    this.#delay.record(delay);
    if (sequence % TRANSIT_SAMPLE_EVERY === 0) this.transitSamples.push(token, timestamp, absMs);
  }

  /** Adds another receiver's figures into this one (fleet totals). */
  merge(other: SerializedStats): void {
    this.#delay.merge(other.delay);
    for (const v of other.transitSamples) this.transitSamples.push(v);
    this.#extra.received += other.received;
    this.#extra.expected += other.expected;
    this.#extra.late += other.late;
    this.#extra.jitterSum += other.jitterSum;
    this.#extra.senders += other.senders;
  }

  serialize(): SerializedStats {
    const s = this.summary();
    return {
      delay: this.#delay.toJSON(),
      transitSamples: this.transitSamples,
      received: s.received,
      expected: s.expected,
      late: s.late,
      jitterSum: s.jitterMs * this.#senderCount(),
      senders: this.#senderCount(),
    };
  }

  #senderCount(): number {
    return this.senders.size + this.#extra.senders;
  }

  summary(): ReceiveSummary {
    let received = this.#extra.received;
    let expected = this.#extra.expected;
    let late = this.#extra.late;
    let jitter = this.#extra.jitterSum;
    for (const s of this.senders.values()) {
      received += s.received;
      expected += s.highestSeq - s.firstSeq + 1;
      late += s.late;
      jitter += s.jitterMs;
    }
    const senders = this.#senderCount();
    return {
      received,
      expected,
      lost: Math.max(0, expected - received),
      late,
      jitterMs: senders > 0 ? jitter / senders : 0,
      delay: this.#delay.percentiles(),
    };
  }
}

export interface SerializedStats {
  delay: SerializedHistogram;
  transitSamples: number[];
  received: number;
  expected: number;
  late: number;
  jitterSum: number;
  senders: number;
}
