/**
 * The jitter buffer, replayed frame by frame. A small trace driver sends
 * packets (sequence, timestamp, arrival time; lost ones are simply absent) on a
 * virtual clock, inserts each one at its arrival time and pulls once per 20 ms
 * playout tick (ticks at t0 + k·20; arrivals at or before a tick go in first).
 * Every tick is recorded as 'silence' | 'normal:s' | 'fec:s' | 'plc:s', and
 * whole sequences are compared, together with `readStats().lifetime`.
 *
 * Payloads carry their own sequence (first byte = sequence & 0xff, then the
 * sequence as a float64), and the driver checks on every tick that 'normal'
 * decodes the frame's own packet, 'fec' the NEXT packet (sequence + 1), and
 * that 'plc' / 'silence' carry nothing.
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
      assert.equal(d.packet, null, where);
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

function range(kind: 'normal' | 'fec' | 'plc', from: number, to: number): string[] {
  const out: string[] = [];
  for (let s = from; s <= to; s++) out.push(`${kind}:${s}`);
  return out;
}

function silence(n: number): string[] {
  return new Array<string>(n).fill('silence');
}

function counters(c: Partial<JitterCounters>): JitterCounters {
  return { received: 0, played: 0, fec: 0, plc: 0, lost: 0, late: 0, duplicate: 0, discarded: 0, overflow: 0, silence: 0, ...c };
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
    let j = i;
    while (j + 1 < frames.length) {
      const [k2, s2] = frames[j + 1]!.split(':');
      if (k2 !== kind || (kind !== 'silence' && Number(s2) !== Number(frames[j]!.split(':')[1]) + 1)) break;
      j++;
    }
    out.push(kind === 'silence' ? `silence×${j - i + 1}` : j > i ? `${kind}:${s}..${frames[j]!.split(':')[1]}` : frames[i]!);
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
  /** Silent ticks between the two decisions around the gap (0: a catch-up drop while playing). */
  silentTicks: number;
  /** Index in `decided` of the decision before the gap. */
  before: number;
}

/** The non-silent decisions in order, checked strictly increasing, and the sequence gaps between them. */
function account(frames: readonly string[]): { decided: Decided[]; skips: Skip[] } {
  const decided: Decided[] = [];
  frames.forEach((f, tick) => {
    if (f === 'silence') return;
    const [kind, s] = f.split(':');
    decided.push({ seq: Number(s), kind: kind as Decided['kind'], tick });
  });
  const skips: Skip[] = [];
  for (let i = 1; i < decided.length; i++) {
    const a = decided[i - 1]!;
    const b = decided[i]!;
    assert.ok(b.seq > a.seq, `decision sequences must strictly increase: ${a.kind}:${a.seq} then ${b.kind}:${b.seq} at tick ${b.tick}`);
    if (b.seq > a.seq + 1) skips.push({ from: a.seq + 1, to: b.seq - 1, silentTicks: b.tick - a.tick - 1, before: i - 1 });
  }
  return { decided, skips };
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

    test('fixed: lost frame with the successor not yet there → PLC, counted lost once the successor plays', () => {
      // Frame 11 arrives 15 ms late (235): after tick 11 (230), before tick 12 (250).
      const jb = new JitterBuffer(FIXED);
      const lostAt: number[] = [];
      const t = run(jb, stream({ n: 30, lost: (i) => i === 10, delay: (i) => (i === 11 ? 15 : 0) }), {
        ticks: 31,
        onTick: (_k, b) => lostAt.push(b.readStats().lifetime.lost),
      });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 9), 'plc:10', ...range('normal', 11, 29)]);
      assert.equal(lostAt[11], 0, 'right after the PLC nothing proves the loss yet');
      assert.equal(lostAt[12], 1, 'frame 11 playing proves frame 10 lost');
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 29, played: 29, plc: 1, lost: 1, silence: 1 }));
    });

    test('adaptive (1 frame): the successor is never there in time, so a single loss is PLC', () => {
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 30, lost: (i) => i === 10 || i === 20 }), { ticks: 30 });
      assert.deepEqual(t.frames, [...range('normal', 0, 9), 'plc:10', ...range('normal', 11, 19), 'plc:20', ...range('normal', 21, 29)]);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 28, played: 28, plc: 2, lost: 2 }));
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
    for (const mode of MODES) {
      for (const rate of [0.05, 0.2]) {
        test(`${mode}: ${rate * 100} % loss (xorshift seed 7): every frame accounted for once`, () => {
          const n = 1000;
          const rnd = xorshift32(7);
          const lostArr = Array.from({ length: n }, (_, i) => i !== 0 && rnd() < rate);
          const isLost = (i: number): boolean => i >= 0 && i < n && lostArr[i]!;
          const conceal = DEFAULT_JITTER_OPTIONS.maxConcealFrames;
          const jb = new JitterBuffer({ mode });
          const t = run(jb, stream({ n, lost: isLost }), { ticks: n + 10 });
          const life = jb.readStats().lifetime;
          const { decided, skips } = account(t.frames);
          const first = decided[0]!.seq;
          const last = decided[decided.length - 1]!.seq;
          assert.equal(first, 0);
          // The sender stops after n − 1: the last packet plays, then `conceal` PLC frames end the spurt.
          let lastReceived = n - 1;
          while (isLost(lastReceived)) lastReceived--;
          assert.equal(last, lastReceived + conceal);
          assert.deepEqual(
            decided.slice(-conceal).map((d) => d.kind),
            new Array(conceal).fill('plc'),
          );
          assert.ok(t.frames.slice(t.frames.length - 3).every((f) => f === 'silence'));

          // No catch-up on a jitter-free link: every gap is a spurt restart after a long burst.
          assert.equal(life.discarded, 0);
          let skipped = 0;
          let burstFrames = 0;
          for (const s of skips) {
            assert.ok(s.silentTicks > 0, `gap ${s.from}..${s.to} without silence: ${rle(t.frames)}`);
            // Exactly `conceal` PLC frames of lost packets, then silence; nothing received is skipped.
            const before = decided.slice(s.before - conceal + 1, s.before + 1);
            assert.deepEqual(before.map((d) => d.kind), new Array(conceal).fill('plc'), `before gap ${s.from}..${s.to}`);
            for (const d of before) assert.ok(isLost(d.seq));
            for (let q = s.from; q <= s.to; q++) assert.ok(isLost(q), `frame ${q} was received but skipped`);
            assert.ok(s.to - before[0]!.seq + 1 > conceal, 'only a burst longer than maxConcealFrames ends the spurt');
            skipped += s.to - s.from + 1;
            burstFrames += s.to - before[0]!.seq + 1;
          }
          // Silence only before the start, at those restarts, and after the end.
          const silentInside = t.frames.slice(decided[0]!.tick, decided[decided.length - 1]!.tick + 1).filter((f) => f === 'silence').length;
          assert.equal(silentInside, skips.reduce((a, s) => a + s.silentTicks, 0));

          // Each frame index exactly once.
          const seen = new Map<number, string>();
          for (const d of decided) seen.set(d.seq, d.kind);
          for (const s of skips) for (let q = s.from; q <= s.to; q++) seen.set(q, 'skipped');
          assert.equal(seen.size, last - first + 1);
          for (let q = first; q <= last; q++) {
            const k = seen.get(q);
            if (q <= lastReceived) assert.equal(k === 'normal', !isLost(q), `frame ${q}: ${k}`);
          }
          assert.equal(life.played + life.fec + life.plc + skipped, last - first + 1);
          assert.equal(life.played, n - count(lostArr, true));
          assert.equal(life.received, life.played);
          assert.equal(life.plc, count(t.frames.map((f) => f.split(':')[0]), 'plc'));
          assert.equal(life.fec, count(t.frames.map((f) => f.split(':')[0]), 'fec'));

          // FEC: with a 2-frame target every lost frame whose successor arrived is recovered from it;
          // with a 1-frame target the successor is never there in time.
          for (const d of decided) {
            if (d.seq > lastReceived || !isLost(d.seq)) continue;
            const fecPossible = mode === 'fixed' && !isLost(d.seq + 1);
            assert.equal(d.kind, fecPossible ? 'fec' : 'plc', `lost frame ${d.seq}`);
          }
          if (mode === 'fixed') {
            for (let q = 1; q < lastReceived; q++) {
              if (isLost(q) && !isLost(q - 1) && !isLost(q + 1)) assert.equal(seen.get(q), 'fec', `isolated loss ${q}`);
            }
          }

          // Lost: exact when no burst ended the spurt; otherwise the frames of such bursts are the
          // only ones that may be missing from the count (see the dedicated burst test below).
          let lostInRange = 0;
          for (let q = first; q <= lastReceived; q++) if (isLost(q)) lostInRange++;
          if (skips.length === 0) assert.equal(life.lost, lostInRange);
          else assert.ok(life.lost >= lostInRange - burstFrames && life.lost <= lostInRange, `lost ${life.lost}, ${lostInRange} in range`);
          assert.equal(life.late + life.duplicate + life.overflow, 0);
        });
      }
    }
  });

  describe('5. loss bursts', () => {
    test('fixed: 2 lost → PLC then FEC from the packet after the burst', () => {
      const jb = new JitterBuffer(FIXED);
      const t = run(jb, stream({ n: 30, lost: (i) => i === 10 || i === 11 }), { ticks: 31 });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 9), 'plc:10', 'fec:11', ...range('normal', 12, 29)]);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 28, played: 28, plc: 1, fec: 1, lost: 2, silence: 1 }));
    });

    test('fixed: 4 lost → 3 PLC (nothing buffered) and FEC for the last', () => {
      const jb = new JitterBuffer(FIXED);
      const t = run(jb, stream({ n: 30, lost: (i) => i >= 10 && i < 14 }), { ticks: 31 });
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 9), ...range('plc', 10, 12), 'fec:13', ...range('normal', 14, 29)]);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 26, played: 26, plc: 3, fec: 1, lost: 4, silence: 1 }));
    });

    test('adaptive: 2 and 3 lost → PLC, playback continues at the next sequence', () => {
      const jb = new JitterBuffer(ADAPTIVE);
      const lost = (i: number): boolean => i === 10 || i === 11 || (i >= 20 && i < 23);
      const t = run(jb, stream({ n: 40, lost }), { ticks: 40 });
      assert.deepEqual(t.frames, [...range('normal', 0, 9), 'plc:10', 'plc:11', ...range('normal', 12, 19), ...range('plc', 20, 22), ...range('normal', 23, 39)]);
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 35, played: 35, plc: 5, lost: 5 }));
    });

    test('fixed: 5 lost → 3 PLC, the buffer runs dry and restarts at the first packet after the burst', () => {
      const jb = new JitterBuffer(FIXED);
      const t = run(jb, stream({ n: 30, lost: (i) => i >= 10 && i < 15 }), { ticks: 31 });
      // maxConcealFrames = 3 with nothing buffered ends the spurt; 15 then waits for the 2-frame watermark.
      assert.deepEqual(t.frames, [...silence(1), ...range('normal', 0, 9), ...range('plc', 10, 12), ...silence(2), ...range('normal', 15, 29)]);
      const life = jb.readStats().lifetime;
      assert.deepEqual({ ...life, lost: 0 }, counters({ received: 25, played: 25, plc: 3, silence: 3 }));
    });

    test('adaptive: 5 lost → 3 PLC, silence, restart at the first packet after the burst', () => {
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 30, lost: (i) => i >= 10 && i < 15 }), { ticks: 30 });
      assert.deepEqual(t.frames, [...range('normal', 0, 9), ...range('plc', 10, 12), ...silence(2), ...range('normal', 15, 29)]);
    });

    for (const mode of MODES) {
      test(`${mode}: a burst that ends the spurt is still counted as lost once the sequence resumes after a gap`, () => {
        // The sender did not stop: sequences run on, and 15 arriving right after the
        // silence proves that 10..14 never came. `lost` is documented as "frames whose
        // packet never came in time"; only concealment after the sender's *last* packet
        // is exempt (a real talk-spurt end continues at last + 1, with no gap).
        const jb = new JitterBuffer({ mode });
        const t = run(jb, stream({ n: 30, lost: (i) => i >= 10 && i < 15 }), { ticks: 31 });
        const life = jb.readStats().lifetime;
        assert.equal(life.lost, 5, `lost ${life.lost} for frames 10..14 missing mid-stream: ${rle(t.frames)}`);
      });
    }

    for (const mode of MODES) {
      test(`${mode}: outage then a bunch of 8 packets at once (one missing) → catch-up drops the oldest, counted`, () => {
        // Frames 10..17 lost; 18..25 held back and delivered together at 500 ms; 19 is lost.
        const jb = new JitterBuffer({ mode });
        const spec = stream({ n: 60, lost: (i) => (i >= 10 && i < 18) || i === 19, delay: (i) => (i >= 18 && i <= 25 ? (25 - i) * 20 : 0) });
        const t = run(jb, spec, { ticks: 60 });
        const o = jb.options;
        const limit = jb.targetFrames + o.catchUpMarginFrames;
        // Playback resumes at the newest audio minus the catch-up limit, never further back.
        const resume = 25 - limit + 1;
        const lead = mode === 'fixed' ? 1 : 0; // fixed mode plays frame k − 1 on tick k
        const restartTick = 25; // the bunch arrives at 500 ms, tick 25 is at 510 ms
        assert.deepEqual(
          t.frames,
          [
            ...silence(lead),
            ...range('normal', 0, 9),
            ...range('plc', 10, 12),
            ...silence(restartTick - (lead + 13)),
            ...range('normal', resume, resume + 60 - restartTick - 1),
          ],
          rle(t.frames),
        );
        assert.ok(t.depth.every((d, k) => d <= t.target[k]! + o.catchUpMarginFrames));
        const life = jb.readStats().lifetime;
        // Dropped from 18 up to resume − 1: 18 (buffered), 19 (missing: lost), 20.. (buffered).
        assert.equal(life.discarded, resume - 18);
        assert.ok(life.lost >= 1, 'the missing 19 dropped by catch-up is a loss');
        assert.equal(life.played, 10 + 60 - restartTick);
        assert.equal(life.received, 51);
        assert.equal(life.plc, 3);
        assert.equal(life.fec + life.late + life.duplicate + life.overflow, 0);
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

    test('adaptive: a packet arriving after its frame was concealed → late, never played', () => {
      // Frame 10 arrives at 215, after tick 10 (210) concealed it.
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 30, delay: (i) => (i === 10 ? 15 : 0) }), { ticks: 30 });
      assert.deepEqual(t.frames, [...range('normal', 0, 9), 'plc:10', ...range('normal', 11, 29)]);
      assert.equal(t.results[10], 'late');
      assert.deepEqual(jb.readStats().lifetime, counters({ received: 29, played: 29, plc: 1, lost: 1, late: 1 }));
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
      test(`${mode}: sender stops → 3 PLC frames, then silence forever, not playing`, () => {
        const jb = new JitterBuffer({ mode });
        const lead = mode === 'fixed' ? 1 : 0;
        const t = run(jb, stream({ n: 50 }), { ticks: 50 + lead + 500 });
        assert.deepEqual(t.frames, [...silence(lead), ...range('normal', 0, 49), ...range('plc', 50, 52), ...silence(497)]);
        assert.ok(t.playing.slice(50 + lead + 3).every((p) => !p));
        const s = jb.readStats();
        assert.equal(s.playing, false);
        assert.equal(s.depthMs, 0);
        // Trailing concealment after the sender's last packet is not loss.
        assert.deepEqual(s.lifetime, counters({ received: 50, played: 50, plc: 3, silence: lead + 497 }));
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
          [...silence(lead), ...range('normal', 0, 49), ...range('plc', 50, 52), ...silence(bTick - 53), ...range('normal', 50, 99)],
          `${rle(t.frames)}; inserts of 50..53: ${t.results.slice(50, 54).join(',')}`,
        );
        assert.ok(t.results.every((r) => r === 'accepted'));
        assert.deepEqual(jb.readStats().lifetime, counters({ received: 100, played: 100, plc: 3, silence: count(t.frames, 'silence') }));
      });

      test(`${mode}: a new spurt after a silent gap plays normally (sender skips the trailing conceal sequences)`, () => {
        // Same as above, but B starts at 60: whatever happens to the first sequences after
        // a spurt end, a spurt that starts well above them must play from its first frame.
        const jb = new JitterBuffer({ mode });
        const a = stream({ n: 50 });
        const b = stream({ n: 50, seqBase: 60, tsBase: 60 * 960 + 5 * 48000, startMs: 60 * 20 + 5000 });
        const lead = mode === 'fixed' ? 1 : 0;
        const bTick = 310; // B's first packet arrives at 6200 ms; tick 310 is at 6210 ms
        const t = run(jb, [...a, ...b], { ticks: bTick + lead + 50 });
        assert.deepEqual(
          t.frames,
          [...silence(lead), ...range('normal', 0, 49), ...range('plc', 50, 52), ...silence(bTick - 53), ...range('normal', 60, 109)],
          rle(t.frames),
        );
        const s = jb.readStats();
        assert.equal(s.playing, true);
        assert.deepEqual(s.lifetime, counters({ received: 100, played: 100, plc: 3, silence: count(t.frames, 'silence') }));
      });
    }
  });

  describe('7b. a one-packet talk spurt', () => {
    test('fixed: a lone packet below the watermark is not held until the next spurt, seconds later', () => {
      // Spurt A: 0..49. Then a single frame 60 at 3000 ms (a one-frame blip). Spurt C: 61..80 from 8000 ms.
      // With a 2-frame watermark the lone frame waits in the buffer, and C starts with it: frame 60
      // plays 5 s after it arrived. It should play out (or be dropped) within the target + margin.
      const jb = new JitterBuffer(FIXED);
      const a = stream({ n: 50 });
      const lone: Packet = { seq: 60, ts: 60 * 960, at: 3000 };
      const c = stream({ n: 20, seqBase: 61, tsBase: 61 * 960 + 5 * 48000, startMs: 8000 });
      const t = run(jb, [...a, lone, ...c], { ticks: 420 });
      const arrivalTick = Math.ceil((3000 - 10) / 20);
      const played = t.frames.indexOf('normal:60');
      const o = jb.options;
      assert.ok(
        played === -1 || played <= arrivalTick + o.fixedTargetFrames + o.catchUpMarginFrames,
        `frame 60 arrived at tick ${arrivalTick} and played at tick ${played} (${((played - arrivalTick) * 20) / 1000} s later): ${rle(t.frames)}`,
      );
    });
  });

  describe('8. bounded backlog', () => {
    for (const mode of MODES) {
      test(`${mode}: 20 packets at once after a 400 ms stall → oldest discarded, depth bounded`, () => {
        // Frames 30..49 are held and all arrive at 980 ms with frame 49.
        const jb = new JitterBuffer({ mode });
        const o = jb.options;
        const t = run(jb, stream({ n: 150, delay: (i) => (i >= 30 && i < 50 ? (49 - i) * 20 : 0) }), { ticks: 150 });
        const limit = jb.targetFrames + o.catchUpMarginFrames;
        for (let k = 0; k < t.depth.length; k++) assert.ok(t.depth[k]! <= t.target[k]! + o.catchUpMarginFrames, `depth ${t.depth[k]} after tick ${k}`);
        const lead = mode === 'fixed' ? 1 : 0;
        const resume = 49 - limit + 1;
        // 30..32 concealed, the spurt ends; 30..32 then arrive late, 33..49 are accepted and the
        // restart at 33 (tick 49, 990 ms) drops everything older than the newest `limit` frames.
        assert.deepEqual(
          t.frames.slice(0, 54),
          [...silence(lead), ...range('normal', 0, 29), ...range('plc', 30, 32), ...silence(49 - (lead + 33)), ...range('normal', resume, resume + 4)],
          rle(t.frames),
        );
        assert.deepEqual(t.results.slice(30, 33), ['late', 'late', 'late']);
        const life = jb.readStats().lifetime;
        assert.equal(life.discarded, resume - 33);
        assert.equal(life.late, 3);
        assert.equal(life.played + life.discarded + jb.depthFrames, life.received);
      });

      test(`${mode}: after a burst arrival the steady-state depth returns to the target`, () => {
        // Before the stall the depth after a pull is target − 1 (fixed: 1, adaptive: 0).
        // 100 frames (2 s) after the backlog was cut, it should be back there, not stuck at
        // target + margin − 1 for the rest of the spurt (+60 ms of latency for good).
        const jb = new JitterBuffer({ mode });
        const t = run(jb, stream({ n: 200, delay: (i) => (i >= 30 && i < 50 ? (49 - i) * 20 : 0) }), { ticks: 200 });
        const before = t.depth[20]!;
        assert.equal(before, jb.targetFrames - 1);
        const after = t.depth.slice(150, 200);
        assert.ok(
          after.every((d) => d === before),
          `depth after pull: ${before} before the stall, ${[...new Set(after)].join('/')} in ticks 150..199 (target ${jb.targetFrames}, limit ${jb.targetFrames + jb.options.catchUpMarginFrames}): ${rle(t.frames.slice(25, 60))} …`,
        );
      });

      test(`${mode}: sender clock 1 % fast for 60 s → depth stays within target + margin`, () => {
        // 3030 frames sent in 60 s; the receiver plays 3000 (Mumble #6354: no growth to seconds).
        const jb = new JitterBuffer({ mode });
        const o = jb.options;
        const t = run(jb, stream({ n: 3030, periodMs: 19.8 }), { ticks: 3000 });
        let maxMs = 0;
        for (let k = 0; k < t.depth.length; k++) {
          const ms = t.depth[k]! * o.frameMs;
          maxMs = Math.max(maxMs, ms);
          assert.ok(ms <= (t.target[k]! + o.catchUpMarginFrames) * o.frameMs, `depth ${ms} ms at tick ${k}`);
        }
        const s = jb.readStats();
        assert.ok(s.depthMs <= (jb.targetFrames + o.catchUpMarginFrames) * o.frameMs);
        const life = s.lifetime;
        assert.equal(life.received, 3030);
        assert.equal(life.lost + life.plc + life.fec + life.late, 0);
        assert.ok(life.discarded > 0 && life.discarded <= 31, `discarded ${life.discarded}`);
        assert.equal(life.played + life.discarded + jb.depthFrames, life.received);
        assert.equal(count(t.frames, 'silence'), mode === 'fixed' ? 1 : 0);
        assert.equal(life.played, 3000 - life.silence);
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
        assert.equal(life.played + life.fec + life.plc + life.silence, 3000);
        assert.equal(life.played, count(t.frames.map((f) => f.split(':')[0]), 'normal'));
        assert.ok(life.played + life.discarded + jb.depthFrames >= life.received - 1);
        const { decided, skips } = account(t.frames);
        const skipped = skips.reduce((a, s) => a + s.to - s.from + 1, 0);
        assert.equal(life.played + life.fec + life.plc + skipped + life.discarded, decided[decided.length - 1]!.seq - decided[0]!.seq + 1);
      });

      test(`${mode}: underruns are concealed (about one frame each), never turned into silence`, () => {
        // Every 20.2 ms packet arrives in order with no jitter; the receiver simply runs
        // 30 frames ahead over the minute. Each underrun needs one concealed frame — not
        // 3 PLC frames + silence + a restart, dropping the 3 packets that arrive right after.
        const jb = new JitterBuffer({ mode });
        const n = 2970;
        const t = run(jb, stream({ n, periodMs: 20.2 }), { ticks: 3000 });
        const lead = mode === 'fixed' ? 1 : 0;
        const inside = t.frames.slice(lead, 2940); // the sender is still sending throughout
        const silentInside = count(inside, 'silence');
        const life = jb.readStats().lifetime;
        const detail = `plc ${life.plc}, late ${life.late}, deficit ${3000 - n} frames: ${rle(t.frames.slice(0, 420))} …`;
        assert.equal(silentInside, 0, `silent ticks while the sender was sending: ${silentInside}; ${detail}`);
        assert.ok(life.plc <= 3000 - n + 3, `concealed frames: ${detail}`);
      });
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

    test('uniform 0..60 ms delay: late packets stay rare (< 5 %) once the target has adapted', () => {
      const rates: string[] = [];
      let worst = 0;
      for (const seed of [1, 2, 3, 4]) {
        const d = delays(seed);
        const jb = new JitterBuffer(ADAPTIVE);
        const t = run(jb, stream({ n: n + clean, delay: (i) => d[i]! }), { ticks: n + clean + 5 });
        const late = count(t.results.slice(300, n), 'late') / (n - 300);
        rates.push(`seed ${seed}: ${(late * 100).toFixed(1)} %`);
        worst = Math.max(worst, late);
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
      // tick and are refused as late — so if late packets are not measured, the estimate only
      // ever sees the on-time ones and the target never leaves 20 ms, concealing half the frames.
      const jb = new JitterBuffer(ADAPTIVE);
      const t = run(jb, stream({ n: 600, delay: (i) => (i % 2 === 1 ? 45 : 0) }), { ticks: 600 });
      const life = jb.readStats().lifetime;
      assert.ok(
        t.target[300]! >= 3,
        `target ${t.target[300]! * 20} ms after 300 frames; late ${life.late}, plc ${life.plc}: ${rle(t.frames.slice(0, 12))} …`,
      );
    });
  });

  describe('11. sequences near 2^53', () => {
    for (const mode of MODES) {
      test(`${mode}: a trace starting at 2^53 − 2000 behaves exactly like the same trace at 0`, () => {
        const n = 1990; // last sequence 2^53 − 11; the trailing PLC stays below 2^53
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
    test('a far-future sequence while playing: work and counters bounded by the buffer, not by the jump', () => {
      // One packet with a sequence 2^20 ahead (a restarted or misbehaving sender; the relay's replay
      // window accepts any fresh sequence). The catch-up loop walks the gap one frame at a time, so
      // the counters below are also its iteration count; a jump of 2^50 would never return.
      const jb = new JitterBuffer(FIXED);
      for (let i = 0; i < 5; i++) jb.insert(i, i * 960, payloadFor(i), i * 20);
      assert.equal(frameOf(jb.pull()), 'normal:0');
      const far = 2 ** 20;
      jb.insert(far, 0, payloadFor(far), 120);
      jb.pull();
      const life = jb.readStats().lifetime;
      const cap = jb.options.capacity;
      assert.ok(life.discarded <= cap && life.lost <= cap, `discarded ${life.discarded}, lost ${life.lost} after one packet ${far} ahead`);
    });
  });

  describe('14. property: random loss, duplication, reordering, delay', () => {
    test('never throws; decisions strictly ordered, each frame played at most once; counters consistent', () => {
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

          // Strictly increasing decision sequences ⇒ each frame at most once, never backwards.
          const { decided } = account(t.frames);
          const normals = decided.filter((d) => d.kind === 'normal').map((d) => d.seq);
          assert.equal(new Set(normals).size, normals.length);
          const sent = new Set(packets.map((p) => p.seq));
          for (const s of normals) assert.ok(sent.has(s), `played ${s}, never sent`);

          // Counters match what was observed.
          const accepted = count(t.results, 'accepted');
          assert.equal(life.received, accepted);
          assert.equal(life.late, count(t.results, 'late'));
          assert.equal(life.duplicate, count(t.results, 'duplicate'));
          assert.equal(life.overflow, count(t.results, 'overflow'));
          const kinds = t.frames.map((f) => f.split(':')[0]);
          assert.equal(life.played, count(kinds, 'normal'));
          assert.equal(life.fec, count(kinds, 'fec'));
          assert.equal(life.plc, count(kinds, 'plc'));
          assert.equal(life.silence, count(kinds, 'silence'));
          assert.ok(life.played <= accepted);
          assert.ok(life.lost <= life.fec + life.plc + life.discarded);

          // Bounded by the sequences spanned plus the conceal frames at spurt ends.
          if (decided.length > 0) {
            const spurtEnds = t.frames.filter((f, k) => f === 'silence' && k > 0 && t.frames[k - 1] !== 'silence').length;
            const span = n; // sequences seqBase .. seqBase + n − 1
            assert.ok(life.played + life.fec + life.plc <= span + o.maxConcealFrames * (spurtEnds + 1));
          }
          // Depth after a pull never exceeds target + margin.
          for (let k = 0; k < ticks; k++) assert.ok(t.depth[k]! <= t.target[k]! + o.catchUpMarginFrames, `depth ${t.depth[k]} at tick ${k}`);
          // Duplicates never count as received twice.
          assert.ok(accepted <= sent.size);
        }),
        { numRuns: 300, seed: 20240611 },
      );
    });
  });
});
