/**
 * The jitter buffer, replayed frame by frame. A small trace driver sends
 * packets (sequence, timestamp, arrival time; lost ones are simply absent) on a
 * virtual clock, inserts each one at its arrival time and pulls once per 20 ms
 * playout tick (ticks at t0 + k·20; arrivals at or before a tick go in first).
 * Every tick is recorded as 'silence' | 'normal:s' | 'fec:s' | 'plc:s' |
 * 'expand:s', and whole sequences are compared, together with
 * `readStats().lifetime`. 'fec' / 'plc' give frame s up (a later packet is
 * buffered); 'expand' conceals an underrun without giving s up, so s may still
 * play on a later tick.
 *
 * Payloads carry their own sequence (first byte = sequence & 0xff, then the
 * sequence as a float64), and the driver checks on every tick that 'normal'
 * decodes the frame's own packet, 'fec' the NEXT packet (sequence + 1), and
 * that 'plc' / 'expand' / 'silence' carry nothing.
 *
 * Default timing: packet i is sent at i·20 ms, timestamp i·960, no network
 * delay; ticks at 10 + k·20 ms. In fixed mode (2 frames) tick k then plays
 * frame k − 1; in adaptive mode on a clean link (1 frame) it plays frame k.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_JITTER_OPTIONS,
  JitterBuffer,
  type Decision,
  type JitterBufferOptions,
  type JitterCounters,
  type PlayoutMode,
} from './jitter-buffer.ts';

// ---- trace driver ---------------------------------------------------------------

type InsertResult = ReturnType<JitterBuffer['insert']>;

interface Packet {
  seq: number;
  ts: number;
  /** Arrival time at the receiver (ms). */
  at: number;
}

interface StreamSpec {
  /** Frames the sender produces (indices 0..n-1). */
  n: number;
  /** Sequence of frame index 0. */
  seqBase?: number;
  /** Timestamp of frame index 0 (u32, wraps). */
  tsBase?: number;
  /** Sender's frame period in receiver ms (20; 19.8 = sender clock 1 % fast). */
  periodMs?: number;
  /** Send time of frame index 0. */
  startMs?: number;
  /** Network delay of frame i (ms). */
  delay?: (i: number) => number;
  /** Frame i never arrives. */
  lost?: (i: number) => boolean;
}

function stream(spec: StreamSpec): Packet[] {
  const out: Packet[] = [];
  const period = spec.periodMs ?? 20;
  const seqBase = spec.seqBase ?? 0;
  const tsBase = spec.tsBase ?? 0;
  const start = spec.startMs ?? 0;
  for (let i = 0; i < spec.n; i++) {
    if (spec.lost?.(i)) continue;
    out.push({ seq: seqBase + i, ts: (tsBase + i * 960) % 2 ** 32, at: start + i * period + (spec.delay?.(i) ?? 0) });
  }
  return out;
}

function payloadFor(seq: number): Uint8Array {
  const b = new Uint8Array(12);
  b[0] = seq & 0xff;
  new DataView(b.buffer).setFloat64(1, seq);
  return b;
}

function seqOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset, p.byteLength).getFloat64(1);
}

function frameOf(d: Readonly<Decision>): string {
  return d.kind === 'silence' ? 'silence' : `${d.kind}:${d.sequence}`;
}

/** Checks that a decision carries the right packet (or none). */
function checkDecision(d: Readonly<Decision>, tick: number): void {
  const where = `tick ${tick} (${frameOf(d)})`;
  switch (d.kind) {
    case 'silence':
      assert.equal(d.packet, null, where);
      assert.equal(d.sequence, -1, where);
      break;
    case 'plc':
    case 'expand':
      assert.equal(d.packet, null, where);
      assert.ok(Number.isSafeInteger(d.sequence) && d.sequence >= 0, where);
      break;
    case 'normal':
      assert.ok(d.packet, where);
      assert.equal(d.packet[0], d.sequence & 0xff, `${where}: first byte`);
      assert.equal(seqOf(d.packet), d.sequence, `${where}: plays its own packet`);
      break;
    case 'fec':
      assert.ok(d.packet, where);
      assert.equal(d.packet[0], (d.sequence + 1) & 0xff, `${where}: first byte`);
      assert.equal(seqOf(d.packet), d.sequence + 1, `${where}: FEC comes from the next packet`);
      break;
  }
}

interface RunOptions {
  ticks: number;
  /** Time of the first tick (ms). */
  t0?: number;
  /** Called after each pull. */
  onTick?: (k: number, jb: JitterBuffer, d: Readonly<Decision>) => void;
}

interface Trace {
  /** One entry per tick. */
  frames: string[];
  /** Insert result per packet, in the order of `packets` (undefined: arrived after the last tick). */
  results: (InsertResult | undefined)[];
  /** depthFrames after each pull. */
  depth: number[];
  /** targetFrames after each pull. */
  target: number[];
  playing: boolean[];
}

/** Replays `packets` into `jb`: every arrival at or before a tick is inserted, then the tick pulls. */
function run(jb: JitterBuffer, packets: readonly Packet[], opts: RunOptions): Trace {
  const order = packets.map((p, i) => ({ p, i })).sort((a, b) => a.p.at - b.p.at || a.i - b.i);
  const t0 = opts.t0 ?? 10;
  const frameMs = jb.options.frameMs;
  const trace: Trace = { frames: [], results: new Array(packets.length).fill(undefined), depth: [], target: [], playing: [] };
  let j = 0;
  for (let k = 0; k < opts.ticks; k++) {
    const now = t0 + k * frameMs;
    while (j < order.length && order[j]!.p.at <= now) {
      const { p, i } = order[j]!;
      trace.results[i] = jb.insert(p.seq, p.ts, payloadFor(p.seq), p.at);
      j++;
    }
    const d = jb.pull();
    checkDecision(d, k);
    trace.frames.push(frameOf(d));
    trace.depth.push(jb.depthFrames);
    trace.target.push(jb.targetFrames);
    trace.playing.push(jb.playing);
    opts.onTick?.(k, jb, d);
  }
  return trace;
}

// ---- expectations -----------------------------------------------------------------

function range(kind: 'normal' | 'fec' | 'plc' | 'expand', from: number, to: number): string[] {
  const out: string[] = [];
  for (let s = from; s <= to; s++) out.push(`${kind}:${s}`);
  return out;
}

function silence(n: number): string[] {
  return new Array<string>(n).fill('silence');
}

function counters(c: Partial<JitterCounters>): JitterCounters {
  return { received: 0, played: 0, fec: 0, plc: 0, expand: 0, lost: 0, late: 0, duplicate: 0, discarded: 0, overflow: 0, silence: 0, ...c };
}

function count<T>(xs: readonly T[], x: T): number {
  let n = 0;
  for (const y of xs) if (y === x) n++;
  return n;
}

/** Short run-length form of a frame list, for failure messages. */
function rle(frames: readonly string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < frames.length) {
    const [kind, s] = frames[i]!.split(':');
    // Silence and repeated expands of one frame run as ×n; other kinds as ascending ranges.
    const repeats = kind === 'silence' || kind === 'expand';
    let j = i;
    while (j + 1 < frames.length) {
      const [k2, s2] = frames[j + 1]!.split(':');
      if (k2 !== kind || (kind !== 'silence' && Number(s2) !== Number(frames[j]!.split(':')[1]) + (repeats ? 0 : 1))) break;
      j++;
    }
    out.push(repeats ? (j > i ? `${frames[i]}×${j - i + 1}` : frames[i]!) : j > i ? `${kind}:${s}..${frames[j]!.split(':')[1]}` : frames[i]!);
    i = j + 1;
  }
  return out.join(' ');
}

function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

interface Decided {
  seq: number;
  kind: 'normal' | 'fec' | 'plc';
  tick: number;
}

interface Skip {
  /** First and last skipped sequence. */
  from: number;
  to: number;
  /** Silent ticks between the two decisions around the gap (0: a catch-up or shrink drop while playing). */
  silentTicks: number;
  /** Index in `decided` of the decision before the gap. */
  before: number;
}

/**
 * The deciding ticks ('normal' | 'fec' | 'plc') in order, checked strictly increasing, and the
 * sequence gaps between them. 'expand' ticks decide nothing: each one must conceal exactly the
 * frame after the last decided one (so it directly follows that decision or another expand of
 * the same frame), and the tick after it expands again, ends the spurt with silence, or decides
 * that frame or (after a catch-up) a later one.
 */
function account(frames: readonly string[]): { decided: Decided[]; skips: Skip[] } {
  const decided: Decided[] = [];
  frames.forEach((f, tick) => {
    if (f === 'silence') return;
    const [kind, s] = f.split(':');
    const seq = Number(s);
    if (kind === 'expand') {
      const prev = frames[tick - 1];
      assert.ok(
        prev === `expand:${seq}` || prev === `normal:${seq - 1}` || prev === `fec:${seq - 1}` || prev === `plc:${seq - 1}`,
        `tick ${tick}: ${f} after ${prev}`,
      );
      const next = frames[tick + 1];
      if (next !== undefined && next !== 'silence' && next !== f) {
        const [k2, s2] = next.split(':');
        assert.ok(k2 !== 'expand' && Number(s2) >= seq, `tick ${tick + 1}: ${next} after ${f}`);
      }
      return;
    }
    decided.push({ seq, kind: kind as Decided['kind'], tick });
  });
  const skips: Skip[] = [];
  for (let i = 1; i < decided.length; i++) {
    const a = decided[i - 1]!;
    const b = decided[i]!;
    assert.ok(b.seq > a.seq, `decision sequences must strictly increase: ${a.kind}:${a.seq} then ${b.kind}:${b.seq} at tick ${b.tick}`);
    if (b.seq > a.seq + 1) {
      const silentTicks = count(frames.slice(a.tick + 1, b.tick), 'silence');
      skips.push({ from: a.seq + 1, to: b.seq - 1, silentTicks, before: i - 1 });
    }
  }
  return { decided, skips };
}

/** A sequence jump longer than this is a stream restart (resync), not loss (jitter-buffer.ts RESYNC_FRAMES). */
const RESYNC = 50;

/**
 * `lost` and `discarded` as the buffer's accounting rules define them, recomputed from the trace
 * and the set of accepted sequences:
 *  - every 'fec' / 'plc' frame is lost;
 *  - a gap between two decisions with silence in between is a spurt restart: the hole from the last
 *    decided frame to the first packet of the new spurt (the lowest accepted sequence in the gap, or
 *    the next decided one) is lost if ≤ RESYNC frames, and the rest of the gap, up to the next
 *    decision, is a catch-up at the start;
 *  - a gap without silence (and the part of the first spurt below its first decision) is one
 *    catch-up jump or one shrink drop: ≤ RESYNC frames → all of it discarded and its frames without
 *    a packet lost; longer → only the packets popped are discarded, nothing lost.
 * Also checks that every accepted sequence up to the last decision was either played or popped,
 * and that no 'fec' / 'plc' frame had an accepted packet.
 */
function expectedAccounting(frames: readonly string[], accepted: ReadonlySet<number>): { lost: number; discarded: number; popped: number } {
  const { decided, skips } = account(frames);
  if (decided.length === 0) return { lost: 0, discarded: 0, popped: 0 };
  const acc = [...accepted].sort((a, b) => a - b);
  const acceptedIn = (from: number, to: number): number => acc.filter((q) => q >= from && q <= to).length;
  let lost = 0;
  let discarded = 0;
  let popped = 0;
  const jump = (from: number, to: number): void => {
    const size = to - from + 1;
    if (size <= 0) return;
    const withPacket = acceptedIn(from, to);
    popped += withPacket;
    if (size <= RESYNC) {
      discarded += size;
      lost += size - withPacket;
    } else {
      discarded += withPacket;
    }
  };
  for (const d of decided) {
    if (d.kind !== 'normal') {
      lost++;
      assert.ok(!accepted.has(d.seq), `${d.kind}:${d.seq} at tick ${d.tick}, but its packet was accepted`);
    } else {
      assert.ok(accepted.has(d.seq), `normal:${d.seq} at tick ${d.tick} without an accepted packet`);
    }
  }
  // The first spurt starts at the lowest accepted sequence; anything below its first decision was caught up.
  jump(acc[0]!, decided[0]!.seq - 1);
  for (const s of skips) {
    const next = decided[s.before + 1]!.seq;
    if (s.silentTicks > 0) {
      const first = acc.find((q) => q >= s.from && q <= next);
      assert.ok(first !== undefined, `restart before ${next} without a packet`);
      const hole = first - s.from;
      if (hole <= RESYNC) lost += hole;
      jump(first, next - 1);
    } else {
      jump(s.from, s.to);
    }
  }
  const last = decided[decided.length - 1]!.seq;
  const played = decided.filter((d) => d.kind === 'normal').length;
  assert.equal(played + popped, acceptedIn(-Infinity, last), 'every accepted packet up to the last decision is played or dropped');
  return { lost, discarded, popped };
}

/** Sequences accepted by the buffer, from a trace's insert results. */
function acceptedSeqs(packets: readonly Packet[], results: readonly (InsertResult | undefined)[]): Set<number> {
  const out = new Set<number>();
  results.forEach((r, i) => {
    if (r !== 'accepted') return;
    assert.ok(!out.has(packets[i]!.seq), `sequence ${packets[i]!.seq} accepted twice`);
    out.add(packets[i]!.seq);
  });
  return out;
}

const FIXED: Partial<JitterBufferOptions> = { mode: 'fixed' };
const ADAPTIVE: Partial<JitterBufferOptions> = { mode: 'adaptive' };
const MODES: readonly PlayoutMode[] = ['fixed', 'adaptive'];

// ---- tests --------------------------------------------------------------------------

describe('JitterBuffer', () => {
  describe('options', () => {
    test('defaults: adaptive, 20 ms / 960 samples, fixed target 2, margin 3, conceal 3, capacity 64', () => {
      const jb = new JitterBuffer();
      assert.deepEqual(jb.options, DEFAULT_JITTER_OPTIONS);
      assert.equal(jb.targetFrames, 1);
      assert.equal(new JitterBuffer(FIXED).targetFrames, 2);
      assert.equal(jb.playing, false);
      assert.equal(jb.depthFrames, 0);
      assert.ok(Object.isFrozen(jb.options));
    });

    test('invalid options throw TypeError', () => {
      assert.throws(() => new JitterBuffer({ frameMs: 0 }), TypeError);
      assert.throws(() => new JitterBuffer({ frameSamples: 0 }), TypeError);
      assert.throws(() => new JitterBuffer({ capacity: 3 }), TypeError);
      assert.throws(() => new JitterBuffer({ minTargetFrames: 0 }), TypeError);
      assert.throws(() => new JitterBuffer({ minTargetFrames: 5, maxTargetFrames: 4 }), TypeError);
      assert.throws(() => new JitterBuffer({ fixedTargetFrames: 0 }), TypeError);
      assert.doesNotThrow(() => new JitterBuffer({ capacity: 4 }));
    });

    test('pulling an empty buffer is silence, forever', () => {
      const jb = new JitterBuffer(FIXED);
      const t = run(jb, [], { ticks: 50 });
      assert.deepEqual(t.frames, silence(50));
      assert.deepEqual(jb.readStats().lifetime, counters({ silence: 50 }));
    });
  });

  describe('1. in order, no jitter', () => {
    test('fixed: silent until 2 frames are buffered, then every frame normal, in order', () => {
      const jb = new JitterBuffer(FIXED);
      const n = 200;
      const t = run(jb, stream({ n }), { ticks: n + 1 });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, n - 1)]);
      assert.equal(t.playing[0], false);
      assert.equal(t.depth[0], 1, 'one frame buffered, below the 2-frame watermark');
      assert.ok(t.playing.slice(1).every(Boolean));
      // 40 ms target: at each tick two frames are buffered, one is played.
      assert.ok(t.depth.slice(1, n).every((d) => d === 1), `depth after pull: ${t.depth.join(',')}`);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: n, played: n, silence: 1 }));
    });

    test('fixed: starts on the tick at which the second frame is there, whatever the tick phase', () => {
      for (const t0 of [0, 1, 10, 19]) {
        const jb = new JitterBuffer(FIXED);
        const t = run(jb, stream({ n: 20 }), { ticks: 21, t0 });
        assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 19)], `t0=${t0}`);
      }
    });

    test('adaptive: a clean link keeps a 1-frame target (20 ms) and starts on the first frame', () => {
      const jb = new JitterBuffer(ADAPTIVE);
      const n = 500;
      const t = run(jb, stream({ n }), { ticks: n });
      assert.deepEqual(t.frames, range('normal', 0, n - 1));
      assert.ok(t.target.every((x) => x === 1));
      assert.ok(t.depth.every((d) => d === 0));
      const s = jb.readStats();
      assert.equal(s.targetMs, 20);
      assert.equal(s.jitterMs, 0);
      assert.equal(s.playing, true);
      assert.deepEqual(s.lifetime, counters({ received: n, played: n }));
    });

    test('adaptive: a constant network delay is not jitter', () => {
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 300, delay: () => 57 }), { ticks: 303 });
      assert.deepEqual(t.frames, [...silence(3), ...range('normal', 0, 299)]);
      assert.equal(jb.readStats().targetMs, 20);
    });
  });

  describe('2. reordering within the buffer', () => {
    test('fixed: adjacent swaps all play normally, in order', () => {
      const swapped = new Set([10, 25, 40, 77]); // i arrives one frame late, i + 1 one frame early
      const delay = (i: number): number => (swapped.has(i) ? 20 : swapped.has(i - 1) ? -20 : 0);
      const jb = new JitterBuffer(FIXED);
      const n = 100;
      const t = run(jb, stream({ n, delay }), { ticks: n + 1 });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, n - 1)], rle(t.frames));
      assert.ok(t.results.every((r) => r === 'accepted'));
      assert.deepEqual(jb.readStats().lifetime, counters({ received: n, played: n, silence: 1 }));
    });

    test('fixed: 1 ms apart, every pair swapped', () => {
      // Odd frame i arrives at 20(i − 1) + 1, even frame i at 20i + 21: 1 before 0, 3 before 2, …
      const jb = new JitterBuffer(FIXED);
      const n = 100;
      const t = run(jb, stream({ n, delay: (i) => (i % 2 === 0 ? 21 : -19) }), { ticks: n + 1 });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, n - 1)], rle(t.frames));
      assert.equal(jb.readStats().lifetime.played, n);
      assert.equal(jb.readStats().lifetime.lost, 0);
    });

    test('adaptive: a swap that still lands before the tick plays normally', () => {
      // Ticks at 20k+10: frame 30 arrives at 607, 31 at 601.
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 60, delay: (i) => (i === 30 ? 7 : i === 31 ? -19 : 0) }), { ticks: 60 });
      assert.deepEqual(t.frames, range('normal', 0, 59), rle(t.frames));
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 60, played: 60 }));
    });
  });

  describe('3. single losses', () => {
    test('fixed: lost frame with its successor buffered → FEC from the next packet, then the next plays', () => {
      const jb = new JitterBuffer(FIXED);
      const t = run(jb, stream({ n: 30, lost: (i) => i === 10 }), { ticks: 31 });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 9), 'fec:10', ...range('normal', 11, 29)]);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 29, played: 29, fec: 1, lost: 1, silence: 1 }));
    });

    test('fixed: lost frame with the successor not yet there → expand (frame kept), then FEC once the successor is in; delay +1 frame', () => {
      // Frame 11 arrives 15 ms late (235): after tick 11 (230), before tick 12 (250). At tick 11
      // nothing is buffered, so 10 is not given up: 'expand:10'. At tick 12, 11 is there and proves
      // 10 lost: 'fec:10' from packet 11. From then on tick k plays k − 2 (one frame more delay,
      // which is within target + 1, so the shrink leaves it).
      const jb = new JitterBuffer(FIXED);
      const lostAt: number[] = [];
      const t = run(jb, stream({ n: 30, lost: (i) => i === 10, delay: (i) => (i === 11 ? 15 : 0) }), {
        ticks: 31,
        onTick: (_k, b) => lostAt.push(b.readStats().lifetime.lost),
      });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 9), 'expand:10', 'fec:10', ...range('normal', 11, 28)], rle(t.frames));
      assert.equal(lostAt[11], 0, 'an expand is not a loss');
      assert.equal(lostAt[12], 1, 'the FEC frame is');
      assert.equal(t.depth[9], 1);
      assert.ok(t.depth.slice(13, 30).every((d) => d === 2), `depth after pull: ${rle(t.depth.map(String))}`);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 29, played: 28, fec: 1, expand: 1, lost: 1, silence: 1 }));
    });

    test('adaptive (1 frame): a single loss with nothing buffered expands once, then FEC; the next single loss gets FEC at once', () => {
      // Tick k at 20k + 10 plays frame k. At tick 10 nothing is buffered (10 lost, 11 not sent yet):
      // expand:10; at tick 11, 11 is in → fec:10, and from then on tick k plays k − 1, so when 20
      // is lost, 21 is already buffered at its tick.
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 30, lost: (i) => i === 10 || i === 20 }), { ticks: 30 });
      assert.deepEqual(
        t.frames,
        [...range('normal', 0, 9), 'expand:10', 'fec:10', ...range('normal', 11, 19), 'fec:20', ...range('normal', 21, 28)],
        rle(t.frames),
      );
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 28, played: 27, fec: 2, expand: 1, lost: 2 }));
    });

    test('fixed: alternate losses (every other frame) → FEC for each', () => {
      const jb = new JitterBuffer(FIXED);
      const lost = (i: number): boolean => i >= 10 && i < 30 && i % 2 === 0;
      const t = run(jb, stream({ n: 40, lost }), { ticks: 41 });
      const expected = [...silence(1)];
      for (let i = 0; i < 40; i++) expected.push(lost(i) ? `fec:${i}` : `normal:${i}`);
      assert.deepEqual(t.frames, expected);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 30, played: 30, fec: 10, lost: 10, silence: 1 }));
    });
  });

  describe('4. random loss over 1000 frames', () => {
    // Lifetime counters of each trace (cross-checked frame by frame against the rules below).
    const totals: Record<string, Partial<JitterCounters>> = {
      'fixed 0.05': { received: 945, played: 945, fec: 51, plc: 4, expand: 4, lost: 55, silence: 16 },
      'fixed 0.2': { received: 793, played: 792, fec: 159, plc: 39, expand: 12, lost: 207, discarded: 2, silence: 18 },
      'adaptive 0.05': { received: 945, played: 941, fec: 51, plc: 4, expand: 8, lost: 55, discarded: 4, silence: 16 },
      'adaptive 0.2': { received: 793, played: 787, fec: 159, plc: 37, expand: 19, lost: 207, discarded: 9, silence: 18 },
    };
    for (const mode of MODES) {
      for (const rate of [0.05, 0.2]) {
        test(`${mode}: ${rate * 100} % loss (xorshift seed 7): every frame accounted for once`, () => {
          const n = 1000;
          const rnd = xorshift32(7);
          const lostArr = Array.from({ length: n }, (_, i) => i !== 0 && rnd() < rate);
          const isLost = (i: number): boolean => i >= 0 && i < n && lostArr[i]!;
          const conceal = DEFAULT_JITTER_OPTIONS.maxConcealFrames;
          const jb = new JitterBuffer({ mode });
          const packets = stream({ n, lost: isLost });
          const ticks = n + 20;
          const t = run(jb, packets, { ticks });
          const life = jb.readStats().lifetime;
          const { decided, skips } = account(t.frames);
          const first = decided[0]!;
          const last = decided[decided.length - 1]!;
          assert.equal(first.seq, 0);
          assert.equal(first.kind, 'normal');
          // The sender stops after n − 1: its last packet plays, then `conceal` expands of the next
          // frame (never consumed), then silence to the end.
          let lastReceived = n - 1;
          while (isLost(lastReceived)) lastReceived--;
          assert.equal(`${last.kind}:${last.seq}`, `normal:${lastReceived}`);
          assert.deepEqual(
            t.frames.slice(last.tick + 1),
            [...new Array<string>(conceal).fill(`expand:${lastReceived + 1}`), ...silence(ticks - last.tick - 1 - conceal)],
          );

          // On a jitter-free link a frame is only missing at its tick if it was lost.
          t.frames.forEach((f, k) => {
            const [kind, s] = f.split(':');
            const q = Number(s);
            if (kind === 'expand') assert.ok(isLost(q) || q >= n, `tick ${k}: ${f}, but ${q} was sent`);
            if (kind === 'normal') assert.ok(!isLost(q));
            // Lost and a later packet buffered: FEC exactly when the next packet exists (it is then
            // the lowest one buffered: arrivals are in order).
            if (kind === 'fec' || kind === 'plc') {
              assert.ok(isLost(q), `tick ${k}: ${f}, but ${q} was received`);
              assert.equal(kind, isLost(q + 1) ? 'plc' : 'fec', `tick ${k}: lost frame ${q}`);
            }
          });

          // Gaps: a spurt restart after `conceal` expands with nothing buffered (only lost frames
          // skipped), or a catch-up / shrink drop while playing.
          let silentGapTicks = 0;
          for (const s of skips) {
            if (s.silentTicks === 0) continue;
            silentGapTicks += s.silentTicks;
            const a = decided[s.before]!;
            assert.deepEqual(
              t.frames.slice(a.tick + 1, a.tick + 1 + conceal + 1),
              [...new Array<string>(conceal).fill(`expand:${s.from}`), 'silence'],
              `spurt end before gap ${s.from}..${s.to}`,
            );
            for (let q = s.from; q <= s.to; q++) assert.ok(isLost(q), `frame ${q} was received but skipped across a restart`);
          }
          // Silence only before the start, at those restarts, and after the end.
          const silentInside = count(t.frames.slice(first.tick, last.tick + 1), 'silence');
          assert.equal(silentInside, silentGapTicks);
          assert.equal(first.tick, mode === 'fixed' ? 1 : 0);

          // Each frame up to the last received exactly once: decided or skipped.
          const seen = new Map<number, string>();
          for (const d of decided) seen.set(d.seq, d.kind);
          for (const s of skips) for (let q = s.from; q <= s.to; q++) seen.set(q, 'skipped');
          assert.equal(seen.size, last.seq - first.seq + 1);

          const kinds = t.frames.map((f) => f.split(':')[0]);
          assert.equal(life.played, count(kinds, 'normal'));
          assert.equal(life.fec, count(kinds, 'fec'));
          assert.equal(life.plc, count(kinds, 'plc'));
          assert.equal(life.expand, count(kinds, 'expand'));
          assert.equal(life.silence, count(kinds, 'silence'));
          assert.equal(life.received, n - count(lostArr, true));
          const model = expectedAccounting(t.frames, acceptedSeqs(packets, t.results));
          assert.equal(life.lost, model.lost, 'lost = fec + plc + restart holes + catch-up frames without a packet');
          assert.equal(life.discarded, model.discarded);
          assert.equal(life.played + model.popped, life.received);
          // Every lost frame up to the last received one is counted once (no resync on this trace).
          let lostInRange = 0;
          for (let q = 0; q <= lastReceived; q++) if (isLost(q)) lostInRange++;
          assert.equal(life.lost, lostInRange);
          assert.equal(life.late + life.duplicate + life.overflow, 0);
          assert.deepEqual(life, counters(totals[`${mode} ${rate}`]!));
        });
      }
    }
  });

  describe('5. loss bursts', () => {
    test('fixed: 2 lost → expand (nothing buffered), then PLC and FEC once the packet after the burst is in', () => {
      const jb = new JitterBuffer(FIXED);
      const t = run(jb, stream({ n: 30, lost: (i) => i === 10 || i === 11 }), { ticks: 31 });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 9), 'expand:10', 'plc:10', 'fec:11', ...range('normal', 12, 28)], rle(t.frames));
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 28, played: 27, plc: 1, fec: 1, expand: 1, lost: 2, silence: 1 }));
    });

    test('fixed: 4 lost → 3 expands (nothing buffered), then 3 PLC and FEC for the last when 14 is in', () => {
      // concealRun reaches maxConcealFrames exactly when 14 arrives, so the spurt goes on; the three
      // expands stay in the delay (tick k plays k − 4 afterwards, depth 4 > target + 1: the shrink
      // would start dropping after 25 ticks, beyond this trace).
      const jb = new JitterBuffer(FIXED);
      const t = run(jb, stream({ n: 30, lost: (i) => i >= 10 && i < 14 }), { ticks: 31 });
      assert.deepEqual(
        t.frames,
        [...silence(1), ...range('normal', 0, 9), ...new Array<string>(3).fill('expand:10'), ...range('plc', 10, 12), 'fec:13', ...range('normal', 14, 26)],
        rle(t.frames),
      );
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 26, played: 23, plc: 3, fec: 1, expand: 3, lost: 4, silence: 1 }));
    });

    test('adaptive: 2 and 3 lost → expands while nothing is buffered, then PLC / FEC; playback continues in sequence', () => {
      // 10, 11 lost: expand:10 ×2 (ticks 10, 11), 12 in at tick 12 → plc:10, fec:11; tick k now plays k − 2.
      // 20..22 lost: at tick 22 nothing is buffered → expand:20; 23 in → plc:20, plc:21, fec:22.
      const jb = new JitterBuffer(ADAPTIVE);
      const lost = (i: number): boolean => i === 10 || i === 11 || (i >= 20 && i < 23);
      const t = run(jb, stream({ n: 40, lost }), { ticks: 40 });
      assert.deepEqual(
        t.frames,
        [
          ...range('normal', 0, 9),
          'expand:10',
          'expand:10',
          'plc:10',
          'fec:11',
          ...range('normal', 12, 19),
          'expand:20',
          'plc:20',
          'plc:21',
          'fec:22',
          ...range('normal', 23, 36),
        ],
        rle(t.frames),
      );
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 35, played: 32, plc: 3, fec: 2, expand: 3, lost: 5 }));
    });

    test('fixed: 5 lost → 3 expands, the spurt ends, and restarts at the first packet after the burst', () => {
      const jb = new JitterBuffer(FIXED);
      const t = run(jb, stream({ n: 30, lost: (i) => i >= 10 && i < 15 }), { ticks: 31 });
      // maxConcealFrames = 3 with nothing buffered ends the spurt; 15 then waits for the 2-frame watermark.
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 9), ...new Array<string>(3).fill('expand:10'), ...silence(2), ...range('normal', 15, 29)]);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 25, played: 25, expand: 3, lost: 5, silence: 3 }));
    });

    test('adaptive: 5 lost → 3 expands, silence, restart at the first packet after the burst', () => {
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 30, lost: (i) => i >= 10 && i < 15 }), { ticks: 30 });
      assert.deepEqual(t.frames, [...range('normal', 0, 9), ...new Array<string>(3).fill('expand:10'), ...silence(2), ...range('normal', 15, 29)]);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 25, played: 25, expand: 3, lost: 5, silence: 2 }));
    });

    for (const mode of MODES) {
      test(`${mode}: a burst that ends the spurt is still counted as lost once the sequence resumes after a gap`, () => {
        // The sender did not stop: sequences run on, and 15 starting the next spurt proves that
        // 10..14 never came (the hole before a new spurt, ≤ 50 frames, is loss).
        const jb = new JitterBuffer({ mode });
        const t = run(jb, stream({ n: 30, lost: (i) => i >= 10 && i < 15 }), { ticks: 31 });
        const life = jb.readStats().lifetime;
        assert.equal(life.lost, 5, `lost ${life.lost} for frames 10..14 missing mid-stream: ${rle(t.frames)}`);
      });
    }

    for (const mode of MODES) {
      test(`${mode}: outage then a bunch of 8 packets at once (one missing) → restart, catch-up drops the oldest, counted`, () => {
        // Frames 10..17 lost; 18..25 held back and delivered together at 500 ms; 19 is lost.
        // 3 expands of 10 end the spurt (10 is not consumed, so 18.. are accepted). The restart at
        // 18 counts the hole 10..17 as lost, and the catch-up jumps to newest − limit + 1 at once:
        // 18, 20.. discarded, the missing 19 discarded and lost. Then the depth is limit − 1 after
        // each pull, above target + 1, so after 25 ticks the shrink drops one frame.
        const jb = new JitterBuffer({ mode });
        const spec = stream({ n: 60, lost: (i) => (i >= 10 && i < 18) || i === 19, delay: (i) => (i >= 18 && i <= 25 ? (25 - i) * 20 : 0) });
        const t = run(jb, spec, { ticks: 60 });
        const o = jb.options;
        const limit = jb.targetFrames + o.catchUpMarginFrames;
        const resume = 25 - limit + 1;
        const lead = mode === 'fixed' ? 1 : 0; // fixed mode plays frame k − 1 on tick k
        const restartTick = 25; // the bunch arrives at 500 ms, tick 25 is at 510 ms
        const shrinkTick = restartTick + 24; // the 25th tick in a row with more than target + 1 buffered
        assert.deepEqual(
          t.frames,
          [
            ...silence(lead),
            ...range('normal', 0, 9),
            ...new Array<string>(3).fill('expand:10'),
            ...silence(restartTick - (lead + 13)),
            ...range('normal', resume, resume + shrinkTick - restartTick - 1),
            // resume + 24 is dropped by the shrink
            ...range('normal', resume + shrinkTick - restartTick + 1, resume + 60 - restartTick),
          ],
          rle(t.frames),
        );
        assert.ok(t.results.every((r) => r === 'accepted'));
        assert.ok(t.depth.every((d, k) => d <= t.target[k]! + o.catchUpMarginFrames));
        assert.equal(t.depth[restartTick], limit - 1);
        assert.equal(t.depth[shrinkTick], limit - 2);
        assert.deepEqual(
          jb.readStats().lifetime,
          counters({ received: 51, played: 10 + 60 - restartTick, expand: 3, lost: 8 + 1, discarded: resume - 18 + 1, silence: lead + restartTick - (lead + 13) }),
        );
      });
    }
  });

  describe('6. duplicates and late packets', () => {
    test('a packet inserted twice while buffered → duplicate, counted, played once', () => {
      const jb = new JitterBuffer(FIXED);
      const p = stream({ n: 30 });
      // Second copies of 5 (3 ms after the first) and 12 (1 ms after), both still buffered.
      const t = run(jb, [...p, { ...p[5]!, at: p[5]!.at + 3 }, { ...p[12]!, at: p[12]!.at + 1 }], { ticks: 31 });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 29)]);
      assert.equal(t.results[30], 'duplicate');
      assert.equal(t.results[31], 'duplicate');
      assert.equal(count(t.frames, 'normal:5'), 1);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 30, played: 30, duplicate: 2, silence: 1 }));
    });

    test('a duplicate of a frame already played → late, not played again', () => {
      const jb = new JitterBuffer(FIXED);
      const p = stream({ n: 30 });
      const t = run(jb, [...p, { ...p[5]!, at: 200 }], { ticks: 31 });
      assert.equal(t.results[30], 'late');
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 29)]);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 30, played: 30, late: 1, silence: 1 }));
    });

    test('fixed: a packet arriving after its frame was recovered by FEC → late, never played', () => {
      // Frame 10 arrives at 250, after tick 11 (230) recovered it from 11.
      const jb = new JitterBuffer(FIXED);
      const t = run(jb, stream({ n: 30, delay: (i) => (i === 10 ? 50 : 0) }), { ticks: 31 });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 9), 'fec:10', ...range('normal', 11, 29)]);
      assert.equal(t.results[10], 'late');
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 29, played: 29, fec: 1, lost: 1, late: 1, silence: 1 }));
    });

    test('adaptive: a packet just after its tick with nothing else buffered → expand, and it plays one tick later, not late', () => {
      // Frame 10 arrives at 215, after tick 10 (210): expand:10 keeps waiting, 10 plays at tick 11.
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 30, delay: (i) => (i === 10 ? 15 : 0) }), { ticks: 30 });
      assert.deepEqual(t.frames, [...range('normal', 0, 9), 'expand:10', ...range('normal', 10, 28)], rle(t.frames));
      assert.ok(t.results.every((r) => r === 'accepted'));
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 30, played: 29, expand: 1 }));
    });

    test('adaptive: a packet arriving after its successor proved it lost → late, never played', () => {
      // Frame 10 arrives at 250. Tick 10 (210): nothing buffered → expand:10. Tick 11 (230): 11 is
      // in → fec:10. At 250 the packet is below the floor.
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 30, delay: (i) => (i === 10 ? 50 : 0) }), { ticks: 30 });
      assert.deepEqual(t.frames, [...range('normal', 0, 9), 'expand:10', 'fec:10', ...range('normal', 11, 28)], rle(t.frames));
      assert.equal(t.results[10], 'late');
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 29, played: 28, fec: 1, expand: 1, lost: 1, late: 1 }));
    });

    test('insert returns the verdict and only accepted packets count as received', () => {
      const jb = new JitterBuffer(FIXED);
      assert.equal(jb.insert(3, 3 * 960, payloadFor(3), 60), 'accepted');
      assert.equal(jb.insert(3, 3 * 960, payloadFor(3), 61), 'duplicate');
      assert.equal(jb.insert(4, 4 * 960, payloadFor(4), 80), 'accepted');
      assert.equal(jb.pull().sequence, 3);
      assert.equal(jb.insert(3, 3 * 960, payloadFor(3), 90), 'late');
      assert.equal(jb.insert(2, 2 * 960, payloadFor(2), 90), 'late');
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 2, played: 1, duplicate: 1, late: 2 }));
    });
  });

  describe('7. talk-spurt end and the next spurt', () => {
    for (const mode of MODES) {
      test(`${mode}: sender stops → 3 expands of the next frame, then silence forever, not playing`, () => {
        const jb = new JitterBuffer({ mode });
        const lead = mode === 'fixed' ? 1 : 0;
        const t = run(jb, stream({ n: 50 }), { ticks: 50 + lead + 500 });
        assert.deepEqual(t.frames, [...silence(lead), ...range('normal', 0, 49), ...new Array<string>(3).fill('expand:50'), ...silence(497)]);
        assert.ok(t.playing.slice(0, 50 + lead + 3).every((p, k) => p === k >= lead));
        assert.ok(t.playing.slice(50 + lead + 3).every((p) => !p));
        const s = jb.readStats();
        assert.equal(s.playing, false);
        assert.equal(s.depthMs, 0);
        // Concealment after the sender's last packet is expand, not loss.
        assert.deepEqual(s.lifetime, counters({ received: 50, played: 50, expand: 3, silence: lead + 497 }));
      });

      test(`${mode}: a new spurt 5 s later (sequence continues at last + 1) waits for the watermark and plays from its first frame`, () => {
        const jb = new JitterBuffer({ mode });
        const a = stream({ n: 50 });
        // Sequences 50..99 continue; timestamps jump by 5 s of samples; sending resumes 5 s later.
        const b = stream({ n: 50, seqBase: 50, tsBase: 50 * 960 + 5 * 48000, startMs: 50 * 20 + 5000 });
        const lead = mode === 'fixed' ? 1 : 0;
        const bTick = 300; // B's first packet arrives at 6000 ms; tick 300 is at 6010 ms
        const t = run(jb, [...a, ...b], { ticks: bTick + lead + 50 });
        assert.deepEqual(
          t.frames,
          [...silence(lead), ...range('normal', 0, 49), ...new Array<string>(3).fill('expand:50'), ...silence(bTick - 53), ...range('normal', 50, 99)],
          `${rle(t.frames)}; inserts of 50..53: ${t.results.slice(50, 54).join(',')}`,
        );
        assert.ok(t.results.every((r) => r === 'accepted'));
        assert.deepEqual(jb.readStats().lifetime, counters({ received: 100, played: 100, expand: 3, silence: lead + bTick - 53 }));
      });

      test(`${mode}: a new spurt after a sequence hole: ≤ 50 missing sequences are lost, more is a resync`, () => {
        // Same as above, but B starts at seqBase: 49 was the last frame decided, so the hole is
        // seqBase − 50 frames; up to RESYNC (50) it is loss, beyond it a stream restart.
        for (const [seqBase, lost] of [
          [60, 10],
          [100, 50],
          [101, 0],
          [2 ** 40, 0],
        ] as const) {
          const jb = new JitterBuffer({ mode });
          const a = stream({ n: 50 });
          const b = stream({ n: 50, seqBase, tsBase: 60 * 960 + 5 * 48000, startMs: 60 * 20 + 5000 });
          const lead = mode === 'fixed' ? 1 : 0;
          const bTick = 310; // B's first packet arrives at 6200 ms; tick 310 is at 6210 ms
          const t = run(jb, [...a, ...b], { ticks: bTick + lead + 50 });
          assert.deepEqual(
            t.frames,
            [...silence(lead), ...range('normal', 0, 49), ...new Array<string>(3).fill('expand:50'), ...silence(bTick - 53), ...range('normal', seqBase, seqBase + 49)],
            `seqBase ${seqBase}: ${rle(t.frames)}`,
          );
          const s = jb.readStats();
          assert.equal(s.playing, true);
          assert.deepEqual(s.lifetime, counters({ received: 100, played: 100, expand: 3, lost, silence: lead + bTick - 53 }), `seqBase ${seqBase}`);
        }
      });
    }
  });

  describe('7b. a one-packet talk spurt', () => {
    test('fixed: a lone packet below the watermark plays after waiting `target` ticks, not seconds later with the next spurt', () => {
      // Spurt A: 0..49. Then a single frame 60 at 3000 ms (a one-frame blip). Spurt C: 61..79 from 8000 ms.
      // Tick 150 (3010) sees 60 for the first time; at tick 151 it has waited 2 ticks = the target
      // and plays; the hole 50..59 is lost. It ends with 3 expands; C waits for its own watermark.
      const jb = new JitterBuffer(FIXED);
      const a = stream({ n: 50 });
      const lone: Packet = { seq: 60, ts: 60 * 960, at: 3000 };
      const c = stream({ n: 20, seqBase: 61, tsBase: 61 * 960 + 5 * 48000, startMs: 8000 });
      const t = run(jb, [...a, lone, ...c], { ticks: 420 });
      assert.deepEqual(
        t.frames,
        [
          ...silence(1),
          ...range('normal', 0, 49),
          ...new Array<string>(3).fill('expand:50'),
          ...silence(151 - 54),
          'normal:60',
          ...new Array<string>(3).fill('expand:61'),
          ...silence(401 - 155),
          ...range('normal', 61, 79),
        ],
        rle(t.frames),
      );
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 71, played: 70, expand: 6, lost: 10, silence: 1 + 97 + 246 }));
    });

    test('fixed, target 4: a two-packet spurt starts when its first packet has waited 4 ticks', () => {
      const jb = new JitterBuffer({ mode: 'fixed', fixedTargetFrames: 4 });
      const t = run(jb, stream({ n: 2 }), { ticks: 10 });
      assert.deepEqual(t.frames, [...silence(3), 'normal:0', 'normal:1', ...new Array<string>(3).fill('expand:2'), ...silence(2)]);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 2, played: 2, expand: 3, silence: 5 }));
    });
  });

  describe('8. bounded backlog', () => {
    for (const mode of MODES) {
      test(`${mode}: 20 packets at once after a 400 ms stall → spurt ends, restart cut to the catch-up limit, then shrunk`, () => {
        // Frames 30..49 are held and all arrive at 980 ms with frame 49. 30 is expanded 3 times (not
        // consumed), the spurt ends, and 30..49 are all accepted. The restart at 30 (tick 49, 990 ms)
        // drops everything older than the newest `limit` frames; then every 25 ticks with more than
        // target + 1 frames buffered the shrink drops one, until target + 1 are left before the pull.
        const jb = new JitterBuffer({ mode });
        const o = jb.options;
        const t = run(jb, stream({ n: 150, delay: (i) => (i >= 30 && i < 50 ? (49 - i) * 20 : 0) }), { ticks: 150 });
        const limit = jb.targetFrames + o.catchUpMarginFrames;
        for (let k = 0; k < t.depth.length; k++) assert.ok(t.depth[k]! <= t.target[k]! + o.catchUpMarginFrames, `depth ${t.depth[k]} after tick ${k}`);
        const lead = mode === 'fixed' ? 1 : 0;
        const resume = 49 - limit + 1;
        assert.deepEqual(
          t.frames,
          [
            ...silence(lead),
            ...range('normal', 0, 29),
            ...new Array<string>(3).fill('expand:30'),
            ...silence(49 - (lead + 33)),
            ...range('normal', resume, resume + 23), // ticks 49..72
            ...range('normal', resume + 25, resume + 49), // tick 73 drops resume + 24
            ...range('normal', resume + 51, resume + 102), // tick 98 drops resume + 50
          ],
          rle(t.frames),
        );
        assert.ok(t.results.every((r) => r === 'accepted'));
        const life = jb.readStats().lifetime;
        assert.deepEqual(life, counters({ received: 150, played: 131, expand: 3, discarded: resume - 30 + 2, silence: 16 }));
        assert.equal(life.played + life.discarded + jb.depthFrames, life.received);
      });

      test(`${mode}: after a burst arrival the steady-state depth returns to within one frame of the pre-stall depth`, () => {
        // Before the stall the depth after a pull is target − 1 (fixed: 1, adaptive: 0). After the
        // catch-up it is limit − 1; the shrink takes it down by one frame every 25 ticks to target
        // (target + 1 before the pull, the slack of one frame), and it stays there, not at
        // target + margin − 1 for the rest of the spurt.
        const jb = new JitterBuffer({ mode });
        const t = run(jb, stream({ n: 200, delay: (i) => (i >= 30 && i < 50 ? (49 - i) * 20 : 0) }), { ticks: 200 });
        const target = jb.targetFrames;
        const limit = target + jb.options.catchUpMarginFrames;
        assert.equal(t.depth[20], target - 1);
        assert.deepEqual(
          t.depth.slice(49),
          [...new Array<number>(24).fill(limit - 1), ...new Array<number>(25).fill(limit - 2), ...new Array<number>(200 - 98).fill(target)],
          `depth after pull from tick 49: ${rle(t.depth.slice(49).map(String))}`,
        );
      });

      test(`${mode}: sender clock 1 % fast for 60 s → the shrink keeps the depth at target + 1, one dropped frame per surplus frame`, () => {
        // 3030 frames sent in 60 s; the receiver plays 3000 (Mumble #6354: no growth to seconds).
        const jb = new JitterBuffer({ mode });
        const o = jb.options;
        const t = run(jb, stream({ n: 3030, periodMs: 19.8 }), { ticks: 3000 });
        for (let k = 0; k < t.depth.length; k++) assert.ok(t.depth[k]! <= t.target[k]! + 1, `depth ${t.depth[k]} after tick ${k}`);
        const s = jb.readStats();
        assert.ok(s.depthMs <= (jb.targetFrames + 1) * o.frameMs);
        const life = s.lifetime;
        assert.deepEqual(life, counters(mode === 'fixed' ? { received: 3030, played: 2999, discarded: 29, silence: 1 } : { received: 3030, played: 3000, discarded: 29 }));
        assert.equal(life.played + life.discarded + jb.depthFrames, life.received);
        const { skips } = account(t.frames);
        assert.ok(skips.every((sk) => sk.from === sk.to && sk.silentTicks === 0), 'only single shrink drops');
        assert.equal(skips.length, life.discarded);
      });
    }
  });

  describe('9. sender clock 1 % slow', () => {
    for (const mode of MODES) {
      test(`${mode}: counters add up and the buffer never grows`, () => {
        // 2970 frames in 60 s against 3000 ticks.
        const jb = new JitterBuffer({ mode });
        const o = jb.options;
        const n = 2970;
        const packets = stream({ n, periodMs: 20.2 });
        const t = run(jb, packets, { ticks: 3000 });
        for (let k = 0; k < t.depth.length; k++) assert.ok(t.depth[k]! <= t.target[k]! + o.catchUpMarginFrames);
        assert.ok(Math.max(...t.depth) <= o.fixedTargetFrames, `max depth ${Math.max(...t.depth)}`);
        const life = jb.readStats().lifetime;
        const arrived = t.results.filter((r) => r !== undefined).length;
        assert.equal(life.received + life.late + life.duplicate + life.overflow, arrived);
        assert.equal(life.played + life.fec + life.plc + life.expand + life.silence, 3000);
        assert.equal(life.played, count(t.frames.map((f) => f.split(':')[0]), 'normal'));
        const model = expectedAccounting(t.frames, acceptedSeqs(packets, t.results));
        assert.equal(life.lost, model.lost);
        assert.equal(life.discarded, model.discarded);
        const { decided, skips } = account(t.frames);
        assert.equal(skips.length, 0);
        assert.equal(life.played + life.fec + life.plc, decided[decided.length - 1]!.seq - decided[0]!.seq + 1);
        assert.deepEqual(life, counters(mode === 'fixed' ? { received: 2970, played: 2970, expand: 29, silence: 1 } : { received: 2970, played: 2970, expand: 30 }));
      });

      test(`${mode}: underruns are expanded (one frame each, the deficit in all), never turned into silence or loss`, () => {
        // Every 20.2 ms packet arrives in order with no jitter; the receiver simply runs
        // 30 frames ahead over the minute. Each underrun needs one concealed frame, and the frame
        // then plays when it arrives.
        const jb = new JitterBuffer({ mode });
        const n = 2970;
        const t = run(jb, stream({ n, periodMs: 20.2 }), { ticks: 3000 });
        const lead = mode === 'fixed' ? 1 : 0;
        const inside = t.frames.slice(lead); // the sender sends until the last tick
        const life = jb.readStats().lifetime;
        const detail = `expand ${life.expand}, late ${life.late}, deficit ${3000 - n} frames: ${rle(t.frames.slice(0, 420))} …`;
        assert.equal(count(inside, 'silence'), 0, `silent ticks while the sender was sending; ${detail}`);
        assert.equal(life.expand, 3000 - n - lead, detail);
        assert.equal(life.fec + life.plc + life.lost + life.late, 0, detail);
        // Each expand is a single tick, and the frame it waited for plays on the next.
        t.frames.forEach((f, k) => {
          if (f.startsWith('expand:')) assert.equal(t.frames[k + 1], `normal:${f.slice(7)}`, `tick ${k + 1}`);
        });
      });

      if (mode === 'adaptive') {
        for (const periodMs of [20.2, 20.02]) {
          test(`adaptive: a sender clock ${((periodMs / 20 - 1) * 100).toFixed(1)} % slow on a jitter-free link is not read as growing jitter`, () => {
            // Packets arrive exactly on their send clock; only the clocks differ, by 0.2 ms (or
            // 0.02 ms) per frame. Measured against one arrival baseline for the whole spurt this
            // drift accumulates into a "delay" of 0.2 ms × frames — 600 ms after a minute — and
            // the target climbs to maxTargetFrames although no packet is ever late. Any window of
            // recent arrivals (NetEQ: 2 s) sees at most 20 ms of drift, so the target should stay
            // at ≤ 2 frames and the reported jitter ≤ 20 ms.
            const jb = new JitterBuffer(ADAPTIVE);
            const n = Math.floor(60000 / periodMs);
            const t = run(jb, stream({ n, periodMs }), { ticks: 3000 });
            const s = jb.readStats();
            const worst = Math.max(...t.target);
            assert.ok(
              worst <= 2 && s.jitterMs <= 20,
              `target reaches ${worst * 20} ms (first above 40 ms at tick ${t.target.findIndex((x) => x > 2)}), jitterMs ${s.jitterMs} at 60 s, late ${s.lifetime.late}`,
            );
          });
        }
      }
    }
  });

  describe('10. adaptive target follows jitter', () => {
    const n = 2000;
    const clean = 1000;
    const delays = (seed: number): number[] => {
      const rnd = xorshift32(seed);
      return Array.from({ length: n + clean }, (_, i) => (i < n ? Math.floor(rnd() * 61) : 0));
    };

    test('uniform 0..60 ms delay: target rises to cover ~95 % (60–100 ms) and stays there', () => {
      for (const seed of [1, 2, 3, 4]) {
        const d = delays(seed);
        const jb = new JitterBuffer(ADAPTIVE);
        const t = run(jb, stream({ n: n + clean, delay: (i) => d[i]! }), { ticks: n + clean + 5 });
        for (let k = 300; k < n; k++) {
          const ms = t.target[k]! * 20;
          assert.ok(ms >= 60 && ms <= 100, `seed ${seed}: target ${ms} ms at tick ${k}`);
        }
      }
    });

    test('uniform 0..60 ms delay: late packets stay rare (< 5 %) once the target has adapted, no silence inside', () => {
      const rates: string[] = [];
      let worst = 0;
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const d = delays(seed);
        const jb = new JitterBuffer(ADAPTIVE);
        const packets = stream({ n: n + clean, delay: (i) => d[i]! });
        const t = run(jb, packets, { ticks: n + clean + 5 });
        const late = count(t.results.slice(300, n), 'late') / (n - 300);
        rates.push(`seed ${seed}: ${(late * 100).toFixed(1)} %`);
        worst = Math.max(worst, late);
        const { decided } = account(t.frames);
        assert.equal(count(t.frames.slice(decided[0]!.tick, decided[decided.length - 1]!.tick), 'silence'), 0, `seed ${seed}: ${rle(t.frames.slice(0, 200))}`);
        const life = jb.readStats().lifetime;
        const model = expectedAccounting(t.frames, acceptedSeqs(packets, t.results));
        assert.equal(life.lost, model.lost, `seed ${seed}`);
        assert.equal(life.discarded, model.discarded, `seed ${seed}`);
      }
      assert.ok(worst < 0.05, `late packets in frames 300..1999: ${rates.join(', ')}`);
    });

    test('back on a clean link the target returns to 20 ms within the histogram-forgetting bound', () => {
      // The delay histogram loses (1 − histogramForget) of its mass per packet. Everything above
      // bucket 0 (at most all of it) must fall below 1 − adaptiveQuantile:
      //   keep^p ≤ 1 − q  ⇒  p ≥ ln(1 − q) / ln(keep) = 598 packets for 0.995 / 0.95.
      const o = DEFAULT_JITTER_OPTIONS;
      const bound = Math.ceil(Math.log(1 - o.adaptiveQuantile) / Math.log(o.histogramForget));
      assert.equal(bound, 598);
      for (const seed of [1, 2, 3, 4]) {
        const d = delays(seed);
        const jb = new JitterBuffer(ADAPTIVE);
        const t = run(jb, stream({ n: n + clean, delay: (i) => d[i]! }), { ticks: n + clean });
        // Clean packets arrive at 20k for k ≥ n, i.e. on tick k; allow 2 ticks of slack.
        const back = t.target.findIndex((x, k) => k >= n && x === 1);
        assert.ok(back > n + 100, `seed ${seed}: the histogram forgets gradually (back at tick ${back})`);
        assert.ok(back <= n + bound + 2, `seed ${seed}: target back to 1 frame at tick ${back}, bound ${n + bound + 2}`);
        assert.ok(t.target.slice(back).every((x) => x === 1));
        assert.equal(jb.readStats().targetMs, 20);
      }
    });

    test('late arrivals feed the delay histogram: alternating 0 / 45 ms delay raises the target to 60 ms', () => {
      // Every odd frame is 45 ms late. With a 1-frame target those frames arrive after their
      // tick and are refused as late — if late packets were not measured, the estimate would only
      // ever see the on-time ones and the target would never leave 20 ms.
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 600, delay: (i) => (i % 2 === 1 ? 45 : 0) }), { ticks: 600 });
      const life = jb.readStats().lifetime;
      assert.ok(
        t.target.slice(100).every((x) => x === 3),
        `target ${rle(t.target.map(String))}; late ${life.late}, fec ${life.fec}: ${rle(t.frames.slice(0, 12))} …`,
      );
    });

    test('alternating 0 / 45 ms delay: once the target covers the delay, the odd frames play (< 5 % late)', () => {
      // The point of raising the target to 60 ms is that a frame 45 ms late is still waited for.
      // Frame 2j+1 arrives at 40j + 65, frame 2j+2 at 40j + 40: with only one frame of delay, the
      // successor is always buffered when 2j+1 is due, so it is "certainly lost" (FEC) and then
      // refused as late; the buffer never runs dry, so expand never grows the delay to the target.
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 600, delay: (i) => (i % 2 === 1 ? 45 : 0) }), { ticks: 600 });
      const life = jb.readStats().lifetime;
      const late = count(t.results.slice(300, 600), 'late');
      assert.ok(
        late < 0.05 * 300,
        `${late} of frames 300..599 late with target ${t.target[300]! * 20} ms, depth after pull ${t.depth[300]}; lifetime fec ${life.fec}, late ${life.late}, expand ${life.expand}: ${rle(t.frames.slice(0, 8))} …`,
      );
    });
  });

  describe('11. sequences near 2^53', () => {
    for (const mode of MODES) {
      test(`${mode}: a trace starting at 2^53 − 2000 behaves exactly like the same trace at 0`, () => {
        const n = 1990; // last sequence 2^53 − 11; the trailing expands stay below 2^53
        const rnd = xorshift32(99);
        const lost = Array.from({ length: n }, (_, i) => i !== 0 && rnd() < 0.1);
        const delay = Array.from({ length: n }, () => Math.floor(rnd() * 30));
        // Also a sequence of 3 bursts and a 300 ms stall.
        for (let i = 500; i < 506; i++) lost[i] = true;
        for (let i = 900; i < 915; i++) delay[i] = (914 - i) * 20;
        const mk = (seqBase: number, tsBase: number): Packet[] => stream({ n, seqBase, tsBase, lost: (i) => lost[i]!, delay: (i) => delay[i]! });
        const big = 2 ** 53 - 2000;
        const small = run(new JitterBuffer({ mode }), mk(0, 0), { ticks: n + 20 });
        const jbBig = new JitterBuffer({ mode });
        // Timestamps wrap around 2^32 in the middle of the trace.
        const large = run(jbBig, mk(big, 2 ** 32 - 960 * 1000), { ticks: n + 20 });
        const shifted = small.frames.map((f) => (f === 'silence' ? f : `${f.split(':')[0]}:${Number(f.split(':')[1]) + big}`));
        assert.deepEqual(large.frames, shifted);
        assert.deepEqual(large.results, small.results);
        assert.deepEqual(large.depth, small.depth);
        assert.deepEqual(large.target, small.target);
        assert.ok(large.frames.includes(`normal:${big}`));
        assert.ok(large.frames.includes(`normal:${big + n - 1}`) || lost[n - 1]);
        for (const f of large.frames) if (f !== 'silence') assert.ok(Number.isSafeInteger(Number(f.split(':')[1])));
      });
    }

    test('payloads at 2^53 − 1 are played with the exact sequence', () => {
      const jb = new JitterBuffer(FIXED);
      const top = 2 ** 53 - 1;
      jb.insert(top - 1, 0, payloadFor(top - 1), 0);
      jb.insert(top, 960, payloadFor(top), 20);
      const a = jb.pull();
      checkDecision(a, 0);
      assert.equal(a.sequence, top - 1);
      const b = jb.pull();
      checkDecision(b, 1);
      assert.equal(b.sequence, top);
      assert.equal(jb.insert(top, 960, payloadFor(top), 40), 'late');
    });
  });

  describe('12. readStats', () => {
    test('interval counters restart on each read, lifetime accumulates; depth and target reflect the state', () => {
      const jb = new JitterBuffer(FIXED);
      for (let i = 0; i < 3; i++) jb.insert(i, i * 960, payloadFor(i), i * 20);
      let s = jb.readStats();
      assert.equal(s.depthMs, 60, 'not playing: from the oldest buffered to the newest');
      assert.equal(s.targetMs, 40);
      assert.equal(s.jitterMs, 0);
      assert.equal(s.playing, false);
      assert.deepEqual(s.interval, counters({ received: 3 }));
      assert.deepEqual(s.lifetime, counters({ received: 3 }));

      s = jb.readStats();
      assert.deepEqual(s.interval, counters({}));
      assert.deepEqual(s.lifetime, counters({ received: 3 }));

      assert.equal(frameOf(jb.pull()), 'normal:0');
      assert.equal(jb.insert(0, 0, payloadFor(0), 50), 'late');
      s = jb.readStats();
      assert.equal(s.playing, true);
      assert.equal(s.depthMs, 40, 'playing: from the next frame (1) to the newest (2)');
      assert.deepEqual(s.interval, counters({ played: 1, late: 1 }));
      assert.deepEqual(s.lifetime, counters({ received: 3, played: 1, late: 1 }));

      jb.pull();
      jb.pull();
      jb.insert(4, 4 * 960, payloadFor(4), 80);
      assert.equal(frameOf(jb.pull()), 'fec:3');
      s = jb.readStats();
      assert.equal(s.depthMs, 20);
      assert.deepEqual(s.interval, counters({ received: 1, played: 2, fec: 1, lost: 1 }));
      assert.deepEqual(s.lifetime, counters({ received: 4, played: 3, fec: 1, lost: 1, late: 1 }));

      // The returned objects are snapshots, not live views.
      const snap = s.lifetime;
      jb.pull();
      assert.equal(snap.played, 3);
      assert.equal(jb.readStats().lifetime.played, 4);
    });

    test('adaptive: targetMs and jitterMs report the estimate', () => {
      const jb = new JitterBuffer(ADAPTIVE);
      const rnd = xorshift32(5);
      run(jb, stream({ n: 800, delay: () => Math.floor(rnd() * 61) }), { ticks: 805 });
      const s = jb.readStats();
      assert.equal(s.targetMs, jb.targetFrames * 20);
      assert.equal(s.jitterMs, s.targetMs - 20, 'target = quantile bucket + the frame waited for');
      assert.ok(s.jitterMs >= 40);
      assert.equal(s.interval.received, s.lifetime.received);
      assert.equal(jb.readStats().interval.received, 0);
    });
  });

  describe('13. overflow', () => {
    test('more than `capacity` packets buffered → overflow, refused and counted', () => {
      const jb = new JitterBuffer(FIXED);
      const res: InsertResult[] = [];
      for (let i = 0; i < 70; i++) res.push(jb.insert(i, i * 960, payloadFor(i), i));
      assert.deepEqual(res, [...new Array<InsertResult>(64).fill('accepted'), ...new Array<InsertResult>(6).fill('overflow')]);
      const s = jb.readStats();
      assert.deepEqual(s.lifetime, counters({ received: 64, overflow: 6 }));
      // The next pull starts the spurt and cuts the backlog to the catch-up limit.
      const d = jb.pull();
      assert.equal(frameOf(d), 'normal:59');
      assert.equal(jb.depthFrames, 4);
      assert.equal(jb.readStats().lifetime.discarded, 59);
      // With room again, a refused packet is accepted.
      assert.equal(jb.insert(64, 64 * 960, payloadFor(64), 100), 'accepted');
    });

    test('a small capacity overflows early', () => {
      const jb = new JitterBuffer({ mode: 'fixed', capacity: 4 });
      const res = [0, 1, 2, 3, 4].map((i) => jb.insert(i, i * 960, payloadFor(i), i));
      assert.deepEqual(res, ['accepted', 'accepted', 'accepted', 'accepted', 'overflow']);
      assert.equal(jb.readStats().lifetime.overflow, 1);
    });
  });

  describe('sequence jumps', () => {
    test('a 2^40 sequence jump while playing: one step, work bounded by the heap, counters exact', () => {
      // One packet with a sequence 2^40 ahead (a restarted or misbehaving sender; the relay's replay
      // window accepts any fresh sequence). The hard catch-up jumps to newest − limit + 1 in one step
      // and, the jump being > RESYNC frames, counts the 4 packets it pops (1..4) as discarded and
      // nothing as lost.
      const jb = new JitterBuffer(FIXED);
      for (let i = 0; i < 5; i++) jb.insert(i, i * 960, payloadFor(i), i * 20);
      assert.equal(frameOf(jb.pull()), 'normal:0');
      const far = 2 ** 40;
      const t0 = performance.now();
      jb.insert(far, 0, payloadFor(far), 120);
      const d = jb.pull();
      const ms = performance.now() - t0;
      checkDecision(d, 1);
      // Walking the jump a sequence at a time would take minutes; 1 s leaves room for a GC or
      // scheduler pause on a loaded machine without letting that through.
      assert.ok(ms < 1000, `insert + pull across a 2^40 jump took ${ms.toFixed(1)} ms`);
      const limit = jb.targetFrames + jb.options.catchUpMarginFrames;
      assert.ok(d.sequence >= far - limit + 1 && d.sequence <= far, `decided ${frameOf(d)} after the jump`);
      assert.ok(jb.depthFrames <= limit);
      const life = jb.readStats().lifetime;
      assert.equal(life.discarded, 4);
      // The catch-up itself counts nothing lost; what this pull decides for the frame it landed on
      // is the subject of the next test.
      assert.equal(life.lost, life.fec + life.plc);
    });

    test('after a resync jump the buffer does not conceal sequences that were never sent', () => {
      // Continuing the trace above: the frames between the catch-up point (far − 4) and the one
      // packet (far) never existed — the sender restarted at far. A resync must not play them as
      // PLC / FEC (80 ms of concealment, FEC decoded from `far` for a frame it never followed)
      // nor count them lost: the next decisions are silence while re-buffering (≤ target ticks)
      // or `far` at once, then the usual 3 expands.
      const jb = new JitterBuffer(FIXED);
      for (let i = 0; i < 5; i++) jb.insert(i, i * 960, payloadFor(i), i * 20);
      assert.equal(frameOf(jb.pull()), 'normal:0');
      const far = 2 ** 40;
      jb.insert(far, 0, payloadFor(far), 120);
      const frames: string[] = [];
      for (let k = 0; k < 12; k++) {
        const d = jb.pull();
        checkDecision(d, k + 1);
        const off = d.sequence - far;
        frames.push(d.kind === 'silence' ? 'silence' : `${d.kind}:F${off === 0 ? '' : off > 0 ? `+${off}` : off}`);
      }
      const playedAt = frames.indexOf('normal:F');
      const life = jb.readStats().lifetime;
      assert.ok(
        playedAt >= 0 && playedAt <= jb.targetFrames && frames.slice(0, playedAt).every((f) => f === 'silence') && life.lost === 0,
        `after the jump: ${frames.join(' ')}; lost ${life.lost}, plc ${life.plc}, fec ${life.fec}`,
      );
      assert.deepEqual(frames.slice(playedAt + 1, playedAt + 5), ['expand:F+1', 'expand:F+1', 'expand:F+1', 'silence']);
      assert.deepEqual({ ...life, silence: 0 }, counters({ received: 6, played: 2, expand: 3, discarded: 4 }));
    });

    test('a 30-frame jump while playing (≤ RESYNC): the skipped frames are discarded, those without a packet lost', () => {
      // 0..4 buffered, 0 played; then 35 arrives (5..34 never will). Catch-up: newNext = 35 − 5 + 1
      // = 31; jump 1 → 31 = 30 frames discarded, 26 of them (5..30) without a packet → lost; then
      // 31..33 PLC and 34 FEC from 35 are certainly lost as well: 30 lost in all = 5..34.
      const jb = new JitterBuffer(FIXED);
      for (let i = 0; i < 5; i++) jb.insert(i, i * 960, payloadFor(i), i * 20);
      const frames = [frameOf(jb.pull())];
      jb.insert(35, 35 * 960, payloadFor(35), 120);
      for (let k = 0; k < 9; k++) {
        const d = jb.pull();
        checkDecision(d, k + 1);
        frames.push(frameOf(d));
      }
      assert.deepEqual(frames, ['normal:0', ...range('plc', 31, 33), 'fec:34', 'normal:35', 'expand:36', 'expand:36', 'expand:36', 'silence']);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 6, played: 2, plc: 3, fec: 1, expand: 3, lost: 30, discarded: 30, silence: 1 }));
    });
  });

  describe('14. property: random loss, duplication, reordering, delay', () => {
    test('never throws; decisions strictly ordered, each frame decided at most once; counters match the accounting rules', () => {
      const pktArb = fc.record({
        lost: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        dups: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }),
        shift: fc.integer({ min: -3, max: 3 }),
        delay: fc.integer({ min: 0, max: 100 }),
        dupDelay: fc.integer({ min: 0, max: 200 }),
      });
      const traceArb = fc.record({
        mode: fc.constantFrom<PlayoutMode>('fixed', 'adaptive'),
        seqBase: fc.constantFrom(0, 1000, 2 ** 53 - 1000),
        tsBase: fc.constantFrom(0, 2 ** 32 - 960 * 50),
        t0: fc.integer({ min: 0, max: 19 }),
        gap: fc.constantFrom(0, 0, 150, 2000), // optional pause in the middle (talk-spurt end)
        pkts: fc.array(pktArb, { minLength: 1, maxLength: 300, size: 'max' }),
      });
      fc.assert(
        fc.property(traceArb, ({ mode, seqBase, tsBase, t0, gap, pkts }) => {
          const n = pkts.length;
          const half = n >> 1;
          const packets: Packet[] = [];
          pkts.forEach((p, i) => {
            if (p.lost) return;
            const send = Math.max(0, (i + p.shift) * 20) + (i >= half ? gap : 0);
            const base = { seq: seqBase + i, ts: (tsBase + i * 960 + (i >= half ? gap * 48 : 0)) % 2 ** 32 };
            packets.push({ ...base, at: send + p.delay });
            for (let k = 0; k < p.dups; k++) packets.push({ ...base, at: send + p.delay + p.dupDelay * (k + 1) });
          });
          const jb = new JitterBuffer({ mode });
          const o = jb.options;
          const ticks = n + Math.ceil((gap + 400) / 20);
          const t = run(jb, packets, { ticks, t0 });
          const life = jb.readStats().lifetime;

          // Strictly increasing decision sequences ⇒ each frame at most once, never backwards;
          // every expand conceals the frame after the last decided one (checked in `account`).
          const { decided } = account(t.frames);
          const sent = new Set(packets.map((p) => p.seq));
          for (const d of decided) {
            assert.ok(d.seq >= seqBase && d.seq < seqBase + n, `${d.kind}:${d.seq} outside the sent range`);
            if (d.kind === 'normal') assert.ok(sent.has(d.seq), `played ${d.seq}, never sent`);
          }
          // Expand runs: at most maxConcealFrames of one frame; the spurt ends (silence, not
          // playing) exactly after maxConcealFrames of them, and only there.
          for (let k = 0; k < ticks; k++) {
            const f = t.frames[k]!;
            const prev = t.frames[k - 1];
            if (f === 'silence' && prev !== undefined && prev !== 'silence') {
              assert.ok(prev.startsWith('expand:'), `tick ${k}: the spurt ended after ${prev}`);
              assert.deepEqual(t.frames.slice(k - o.maxConcealFrames, k), new Array<string>(o.maxConcealFrames).fill(prev), `tick ${k}: spurt end`);
              assert.equal(t.playing[k], false);
            }
            if (f.startsWith('expand:')) {
              let run = 1;
              while (t.frames[k - run] === f) run++;
              assert.ok(run <= o.maxConcealFrames, `tick ${k}: ${run} × ${f}`);
            }
            assert.equal(t.playing[k], f !== 'silence', `tick ${k}: playing while ${f}`);
          }

          // Counters match what was observed.
          const accepted = acceptedSeqs(packets, t.results);
          assert.equal(life.received, accepted.size);
          assert.equal(life.received, count(t.results, 'accepted'));
          assert.equal(life.late, count(t.results, 'late'));
          assert.equal(life.duplicate, count(t.results, 'duplicate'));
          assert.equal(life.overflow, count(t.results, 'overflow'));
          const kinds = t.frames.map((f) => f.split(':')[0]);
          assert.equal(life.played, count(kinds, 'normal'));
          assert.equal(life.fec, count(kinds, 'fec'));
          assert.equal(life.plc, count(kinds, 'plc'));
          assert.equal(life.expand, count(kinds, 'expand'));
          assert.equal(life.silence, count(kinds, 'silence'));
          // lost = fec + plc + restart holes + catch-up frames without a packet; discarded = catch-up
          // and shrink drops (only popped packets for a resync); played + popped = accepted so far.
          const model = expectedAccounting(t.frames, accepted);
          assert.equal(life.lost, model.lost, `lost: ${rle(t.frames)}`);
          assert.equal(life.discarded, model.discarded, `discarded: ${rle(t.frames)}`);
          assert.ok(life.played + model.popped <= life.received);

          // Depth after a pull never exceeds target + margin.
          for (let k = 0; k < ticks; k++) assert.ok(t.depth[k]! <= t.target[k]! + o.catchUpMarginFrames, `depth ${t.depth[k]} at tick ${k}`);
        }),
        { numRuns: 300, seed: 20240611 },
      );
    });
  });
});
