/**
 * What a receiving bot measures per sender: received, lost (sequence gaps),
 * late (arrived after a newer one), RFC 3550 interarrival jitter, and relay
 * delay. Bots stamp the header timestamp with wall-clock samples
 * (ms since the Unix epoch × 48, mod 2^32), so any receiver on the same machine
 * reads the send time back without a side channel. Fixed-size state, no
 * allocation per datagram.
 */
import { SAMPLE_RATE } from '../../shared/voice/constants.ts';
import type { JitterCounters } from '../../shared/audio/jitter-buffer.ts';

/** Delay histogram: 0.1 ms buckets up to 2 s. */
const BUCKET_MS = 0.1;
const BUCKETS = 20_000;

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
  delay: { p50: number; p95: number; p99: number; max: number; count: number };
}

export class ReceiveStats {
  readonly senders = new Map<number, SenderTally>();
  /** Frames sent before this wall-clock ms are counted for loss but not in the delay histogram (warm-up). */
  #measureFromMs: number;

  constructor(measureFromMs = 0) {
    this.#measureFromMs = measureFromMs;
  }

  setMeasureFrom(absMs: number): void {
    this.#measureFromMs = absMs;
  }

  readonly #hist = new Uint32Array(BUCKETS);
  #count = 0;
  #max = 0;
  /** Totals merged in from other receivers. */
  #extra = { received: 0, expected: 0, late: 0, jitterSum: 0, senders: 0 };

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
    let b = Math.floor(delay / BUCKET_MS);
    if (b >= BUCKETS) b = BUCKETS - 1;
    this.#hist[b]!++;
    this.#count++;
    if (delay > this.#max) this.#max = delay;
  }

  /** Adds another receiver's figures into this one (fleet totals). */
  merge(other: SerializedStats): void {
    for (let i = 0; i < BUCKETS; i++) this.#hist[i]! += other.hist[i] ?? 0;
    this.#count += other.count;
    this.#max = Math.max(this.#max, other.max);
    this.#extra.received += other.received;
    this.#extra.expected += other.expected;
    this.#extra.late += other.late;
    this.#extra.jitterSum += other.jitterSum;
    this.#extra.senders += other.senders;
  }

  serialize(): SerializedStats {
    const s = this.summary();
    return {
      hist: Array.from(this.#hist),
      count: this.#count,
      max: this.#max,
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
    const q = (p: number): number => {
      if (this.#count === 0) return 0;
      const want = Math.ceil(this.#count * p);
      let acc = 0;
      for (let i = 0; i < BUCKETS; i++) {
        acc += this.#hist[i]!;
        if (acc >= want) return (i + 1) * BUCKET_MS;
      }
      return this.#max;
    };
    return {
      received,
      expected,
      lost: Math.max(0, expected - received),
      late,
      jitterMs: this.senders.size + this.#extra.senders > 0 ? jitter / (this.senders.size + this.#extra.senders) : 0,
      delay: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: this.#max, count: this.#count },
    };
  }
}

export interface SerializedStats {
  hist: number[];
  count: number;
  max: number;
  received: number;
  expected: number;
  late: number;
  jitterSum: number;
  senders: number;
}
