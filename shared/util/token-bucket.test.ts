/**
 * TokenBucket with time passed in: starts full, refills at its rate, caps at
 * the burst, charges `cost`, and validates its arguments.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TokenBucket } from './token-bucket.ts';

/** How many unit takes succeed at `nowMs` until the first refusal. */
function drain(b: TokenBucket, nowMs: number, limit = 10_000): number {
  let n = 0;
  while (n < limit && b.take(nowMs)) n++;
  return n;
}

describe('TokenBucket', () => {
  test('exposes its rate and burst', () => {
    const b = new TokenBucket(50, 10, 0);
    assert.equal(b.ratePerSecond, 50);
    assert.equal(b.burst, 10);
  });

  test('the whole burst is available at start, then nothing', () => {
    const b = new TokenBucket(10, 5, 1000);
    assert.equal(drain(b, 1000), 5);
    assert.equal(b.take(1000), false);
  });

  test('refills at the rate as time passes', () => {
    const b = new TokenBucket(10, 5, 0); // one token per 100 ms
    assert.equal(drain(b, 0), 5);
    assert.equal(b.take(99), false, 'not quite one token yet');
    assert.equal(b.take(100), true, 'one token after 100 ms');
    assert.equal(b.take(100), false);
    assert.equal(drain(b, 400), 3, 'three more tokens after 300 ms more');
  });

  test('partial refills accumulate across calls', () => {
    const b = new TokenBucket(10, 5, 0);
    drain(b, 0);
    assert.equal(b.take(50), false); // 0.5 token
    assert.equal(b.take(100), true); // 0.5 + 0.5 = 1
    assert.equal(b.take(100), false);
  });

  test('never refills above the burst', () => {
    const b = new TokenBucket(10, 5, 0);
    assert.equal(drain(b, 60_000), 5, 'a full bucket idle for a minute still holds only the burst');
    assert.equal(drain(b, 10 * 60_000), 5, 'an empty bucket idle for ten minutes refills only to the burst');
  });

  test('a time going backwards neither refills nor breaks later refills', () => {
    const b = new TokenBucket(10, 5, 1000);
    drain(b, 1000);
    assert.equal(b.take(500), false);
    assert.equal(b.take(1099), false);
    assert.equal(b.take(1100), true);
  });

  test('cost > 1 takes that many tokens, all or nothing', () => {
    const b = new TokenBucket(1000, 100, 0); // one token per ms
    assert.equal(b.take(0, 60), true); // 40 left
    assert.equal(b.take(0, 41), false, 'not enough: nothing taken');
    assert.equal(b.take(0, 40), true); // 0 left
    assert.equal(b.take(0, 1), false);
    assert.equal(b.take(30, 31), false); // 30 available
    assert.equal(b.take(30, 30), true);
    assert.equal(b.take(1000, 101), false, 'more than the burst never passes');
    assert.equal(b.take(1000, 100), true);
  });

  test('fractional rates and costs', () => {
    const b = new TokenBucket(0.5, 1, 0); // one token per 2 s
    assert.equal(b.take(0), true);
    assert.equal(b.take(1999), false);
    assert.equal(b.take(2000), true);
    const c = new TokenBucket(100, 2, 0);
    assert.equal(c.take(0, 1.5), true);
    assert.equal(c.take(0, 0.5), true);
    assert.equal(c.take(0, 0.5), false);
    assert.equal(c.take(5, 0.5), true);
  });

  for (const [rate, burst] of [
    [0, 1],
    [-1, 1],
    [1, 0],
    [1, -5],
    [Number.NaN, 1],
    [1, Number.NaN],
  ] as const) {
    test(`constructor throws TypeError for rate ${rate}, burst ${burst}`, () => {
      assert.throws(() => new TokenBucket(rate, burst, 0), TypeError);
    });
  }

  test('property: over any schedule, successes never exceed burst + rate * elapsed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 5 })), { maxLength: 200, size: 'max' }),
        (rate, burst, steps) => {
          const b = new TokenBucket(rate, burst, 0);
          let now = 0;
          let taken = 0;
          for (const [dt, cost] of steps) {
            now += dt;
            if (b.take(now, cost)) taken += cost;
            // tiny epsilon for floating-point refills
            assert.ok(taken <= burst + (rate * now) / 1000 + 1e-9, `taken ${taken} at ${now} ms`);
          }
        },
      ),
    );
  });
});

test('msUntil says how long until tokens are back, without taking any', () => {
  const b = new TokenBucket(5 / 60, 5, 0); // 5 at once, then one every 12 s
  assert.equal(b.msUntil(0), 0);
  for (let i = 0; i < 5; i++) assert.equal(b.take(0), true);
  assert.equal(b.msUntil(0), 12_000);
  assert.equal(b.msUntil(3_000), 9_000);
  assert.equal(b.msUntil(3_000, 2), 21_000);
  assert.equal(b.take(11_999), false);
  assert.equal(b.msUntil(12_000), 0);
  assert.equal(b.take(12_000), true);
});
