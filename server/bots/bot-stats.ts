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
import { SAMPLE_RATE } from '../../shared/voice/constants.ts';
import type { JitterCounters } from '../../shared/audio/jitter-buffer.ts';

/** Delay histogram: 0.1 ms buckets up to 2 s. */
const BUCKETS_PER_MS = 10;
const BUCKETS = 20_000;
/** Receivers keep the arrival of frames whose sequence is a multiple of this, for transitSummary. */
export const TRANSIT_SAMPLE_EVERY = 4;
const FRAME_SAMPLES_20MS = (SAMPLE_RATE / 1000) * 20;

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
    const q = (p: number): number => {
      if (this.count === 0) return 0;
      const want = Math.ceil(this.count * p);
      let acc = 0;
      for (let i = 0; i < BUCKETS; i++) {
        acc += this.counts[i]!;
        if (acc >= want) return Math.min((i + 1) / BUCKETS_PER_MS, this.max);
      }
      return this.max;
    };
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
  #due0 = Number.NaN;
  readonly #sentAt: Float64Array;

  constructor(token: number, frames: number) {
    this.token = token;
    this.#sentAt = new Float64Array(frames).fill(Number.NaN);
  }

  /** Frame `n`, due at `dueMs` (the schedule's: due0 + 20 ms × n), left at `sentAtMs`. */
  mark(n: number, dueMs: number, sentAtMs: number): void {
    if (n === 0) this.#due0 = dueMs;
    if (n < this.#sentAt.length) this.#sentAt[n] = sentAtMs;
  }

  toJSON(): SerializedSendLog {
    return { token: this.token, due0: this.#due0, sentAt: Array.from(this.#sentAt) };
  }
}

export interface SerializedSendLog {
  token: number;
  /** Wall-clock ms frame 0 was due (NaN if it never was). */
  due0: number;
  /** Per frame: when it was handed to the lane (NaN: not sent). */
  sentAt: number[];
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
  const byToken = new Map<number, SerializedSendLog & { ts0: number }>();
  const sendLate = new DelayHistogram();
  for (const log of logs) {
    if (Number.isNaN(log.due0)) continue;
    byToken.set(log.token, { ...log, ts0: wallClockTimestamp(log.due0) });
    for (let n = 0; n < log.sentAt.length; n++) {
      const due = log.due0 + 20 * n;
      if (due >= measureFromMs && !Number.isNaN(log.sentAt[n]!)) sendLate.record(log.sentAt[n]! - due);
    }
  }
  const transit = new DelayHistogram();
  for (let i = 0; i + 2 < samples.length; i += 3) {
    const log = byToken.get(samples[i]!);
    if (!log) continue;
    const n = ((samples[i + 1]! - log.ts0) >>> 0) / FRAME_SAMPLES_20MS;
    const sentAt = Number.isInteger(n) ? log.sentAt[n] : undefined;
    if (sentAt === undefined || Number.isNaN(sentAt) || log.due0 + 20 * n < measureFromMs) continue;
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
    if (absMs - delay < this.#measureFromMs) return;
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
