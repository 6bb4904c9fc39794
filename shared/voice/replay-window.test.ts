/**
 * The 64-sequence anti-replay window: ordering, duplicates, the window edge,
 * jumps across the two u32 words, sequences near 2^53, and a model test
 * against a Set-based reference.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayWindow, REPLAY_WINDOW_SIZE, type ReplayVerdict } from './replay-window.ts';

/** Feeds `seqs` in order and returns the verdicts. */
function run(w: ReplayWindow, seqs: number[]): ReplayVerdict[] {
  return seqs.map((s) => w.accept(s));
}

/** The reference: a set of everything accepted, and the highest accepted. */
class ModelWindow {
  readonly seen = new Set<number>();
  top = -1;
  accept(seq: number): ReplayVerdict {
    if (this.top >= 0 && this.top - seq >= REPLAY_WINDOW_SIZE) return 'too-old';
    if (this.seen.has(seq)) return 'duplicate';
    this.seen.add(seq);
    if (seq > this.top) this.top = seq;
    return 'fresh';
  }
}

describe('ReplayWindow', () => {
  test('window size is 64', () => {
    assert.equal(REPLAY_WINDOW_SIZE, 64);
  });

  test('highest is -1 before the first sequence, then the top', () => {
    const w = new ReplayWindow();
    assert.equal(w.highest, -1);
    w.accept(10);
    assert.equal(w.highest, 10);
    w.accept(8);
    assert.equal(w.highest, 10);
    w.accept(12);
    assert.equal(w.highest, 12);
    w.accept(12);
    assert.equal(w.highest, 12);
  });

  test('the first sequence is accepted whatever it is (0 included)', () => {
    assert.equal(new ReplayWindow().accept(0), 'fresh');
    assert.equal(new ReplayWindow().accept(123_456), 'fresh');
    assert.equal(new ReplayWindow().accept(2 ** 53 - 1), 'fresh');
  });

  test('in-order sequences are all accepted', () => {
    const w = new ReplayWindow();
    const seqs = Array.from({ length: 300 }, (_, i) => i);
    assert.ok(run(w, seqs).every((v) => v === 'fresh'));
    assert.equal(w.highest, 299);
  });

  test('duplicates are refused, at the top and inside the window', () => {
    const w = new ReplayWindow();
    assert.deepEqual(run(w, [0, 0]), ['fresh', 'duplicate']);
    assert.deepEqual(run(w, [1, 2, 3, 2, 1, 0, 3]), ['fresh', 'fresh', 'fresh', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
  });

  test('reordering inside the window is accepted exactly once', () => {
    const w = new ReplayWindow();
    assert.deepEqual(run(w, [0, 3, 1, 2, 5, 4]), ['fresh', 'fresh', 'fresh', 'fresh', 'fresh', 'fresh']);
    assert.deepEqual(run(w, [0, 1, 2, 3, 4, 5]), Array(6).fill('duplicate'));
    // a late packet 40 behind (lands in the high word)
    const v = new ReplayWindow();
    v.accept(100);
    assert.equal(v.accept(60), 'fresh');
    assert.equal(v.accept(60), 'duplicate');
    assert.equal(v.accept(61), 'fresh');
    assert.equal(v.accept(61), 'duplicate');
  });

  test('every offset 1..63 behind the top is accepted once; 64 and beyond are too-old', () => {
    const w = new ReplayWindow();
    w.accept(1000);
    for (let off = 1; off < 64; off++) assert.equal(w.accept(1000 - off), 'fresh', `offset ${off}`);
    for (let off = 0; off < 64; off++) assert.equal(w.accept(1000 - off), 'duplicate', `offset ${off}`);
    assert.equal(w.accept(1000 - 64), 'too-old');
    assert.equal(w.accept(1000 - 65), 'too-old');
    assert.equal(w.accept(0), 'too-old');
  });

  test('exactly 63 behind is ok, 64 behind is too-old', () => {
    const a = new ReplayWindow();
    a.accept(63);
    assert.equal(a.accept(0), 'fresh');
    const b = new ReplayWindow();
    b.accept(64);
    assert.equal(b.accept(0), 'too-old');
    // too-old does not record anything nor move the top
    assert.equal(b.highest, 64);
    assert.equal(b.accept(1), 'fresh');
  });

  test('sequences below the first one are accepted within 63', () => {
    const w = new ReplayWindow();
    w.accept(5);
    assert.deepEqual(run(w, [4, 0, 4]), ['fresh', 'fresh', 'duplicate']);
  });

  for (const jump of [1, 31, 32, 33, 63, 64, 65, 1000]) {
    test(`a jump of ${jump} keeps exactly the bits still inside the window`, () => {
      const w = new ReplayWindow();
      const m = new ModelWindow();
      // mark a sparse pattern below the old top (0..99, every third) and the old top 100
      const seen: number[] = [];
      for (let s = 40; s <= 100; s++) {
        if (s % 3 === 0 || s === 100) {
          assert.equal(w.accept(s), 'fresh');
          m.accept(s);
          seen.push(s);
        }
      }
      const top = 100 + jump;
      assert.equal(w.accept(top), 'fresh');
      m.accept(top);
      // after the jump, everything in [top-63, top] is a duplicate iff it was seen; below is too-old
      for (let s = 30; s <= top; s++) {
        const expected: ReplayVerdict = top - s >= 64 ? 'too-old' : seen.includes(s) || s === top ? 'duplicate' : 'fresh';
        // probe without disturbing: check on a fresh copy replaying the same history
        const probe = new ReplayWindow();
        for (const x of seen) probe.accept(x);
        probe.accept(top);
        assert.equal(probe.accept(s), expected, `seq ${s} after jump ${jump}`);
        assert.equal(m.accept(s), w.accept(s), `model vs window at seq ${s}`);
      }
    });
  }

  test('after a jump of 32 the old top is still a duplicate (moved from low to high word)', () => {
    const w = new ReplayWindow();
    w.accept(10);
    w.accept(42);
    assert.equal(w.accept(10), 'duplicate');
    assert.equal(w.accept(11), 'fresh');
  });

  test('after a jump of 33 the old top and the one below it keep their state', () => {
    const w = new ReplayWindow();
    w.accept(9);
    w.accept(10);
    w.accept(43);
    assert.equal(w.accept(10), 'duplicate');
    assert.equal(w.accept(9), 'duplicate');
    assert.equal(w.accept(8), 'fresh');
  });

  test('after a jump of 63 the old top is at the window edge; after 64 it is too-old', () => {
    const a = new ReplayWindow();
    a.accept(10);
    a.accept(73);
    assert.equal(a.accept(10), 'duplicate');
    assert.equal(a.accept(11), 'fresh');
    const b = new ReplayWindow();
    b.accept(10);
    b.accept(74);
    assert.equal(b.accept(10), 'too-old');
    assert.equal(b.accept(11), 'fresh');
  });

  test('a small jump carries low-word bits into the high word', () => {
    const w = new ReplayWindow();
    for (let s = 0; s <= 31; s++) w.accept(s); // low word full
    w.accept(40); // shift by 9: seqs 0..8 move into the high word
    for (let s = 0; s <= 31; s++) assert.equal(w.accept(s), 'duplicate', `seq ${s}`);
    for (let s = 32; s < 40; s++) assert.equal(w.accept(s), 'fresh', `seq ${s}`);
  });

  test('high-word bits fall off the end as the window slides', () => {
    const w = new ReplayWindow();
    w.accept(0);
    w.accept(63); // 0 is at offset 63 (top bit of the high word)
    assert.equal(w.accept(0), 'duplicate');
    w.accept(64); // 0 is now offset 64
    assert.equal(w.accept(0), 'too-old');
    assert.equal(w.accept(1), 'fresh');
  });

  test('sequences near 2^53 are exact', () => {
    const max = 2 ** 53 - 1;
    const w = new ReplayWindow();
    assert.equal(w.accept(max - 100), 'fresh');
    assert.equal(w.accept(max - 1), 'fresh');
    assert.equal(w.accept(max), 'fresh');
    assert.equal(w.accept(max), 'duplicate');
    assert.equal(w.accept(max - 1), 'duplicate');
    assert.equal(w.accept(max - 2), 'fresh');
    assert.equal(w.accept(max - 63), 'fresh');
    assert.equal(w.accept(max - 64), 'too-old');
    assert.equal(w.accept(max - 100), 'too-old');
    assert.equal(w.highest, max);

    const v = new ReplayWindow();
    v.accept(2 ** 52);
    v.accept(2 ** 52 + 33);
    assert.equal(v.accept(2 ** 52), 'duplicate');
    assert.equal(v.accept(2 ** 52 + 1), 'fresh');
  });

  test('model: agrees with a Set-based reference over random nearby sequences', () => {
    // Sequences are a random walk (small steps back and forth, occasional jumps),
    // so duplicates, reordering, the window edge and big jumps all occur.
    const stepArb = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: -8, max: 8 }) },
      { weight: 2, arbitrary: fc.integer({ min: -70, max: 70 }) },
      { weight: 1, arbitrary: fc.constantFrom(-64, -63, -33, -32, -31, 31, 32, 33, 63, 64, 65) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 500 }) },
    );
    const startArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 }), fc.constant(2 ** 53 - 10_000), fc.constant(2 ** 32 - 40));
    fc.assert(
      fc.property(startArb, fc.array(stepArb, { minLength: 1, maxLength: 300, size: 'max' }), (start, steps) => {
        const w = new ReplayWindow();
        const m = new ModelWindow();
        let s = start;
        for (const step of steps) {
          s = Math.max(0, Math.min(2 ** 53 - 1, s + step));
          const expected = m.accept(s);
          assert.equal(w.accept(s), expected, `seq ${s}`);
          assert.equal(w.highest, m.top);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('model: agrees over arbitrary permutations of a short run', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 150 }), { minLength: 1, maxLength: 200, size: 'max' }),
        fc.integer({ min: 0, max: 2 ** 53 - 1 - 150 }),
        (offsets, base) => {
          const w = new ReplayWindow();
          const m = new ModelWindow();
          for (const o of offsets) assert.equal(w.accept(base + o), m.accept(base + o), `seq base+${o}`);
        },
      ),
      { numRuns: 500 },
    );
  });
});
