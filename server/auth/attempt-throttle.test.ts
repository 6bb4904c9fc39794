/** AttemptThrottle: a sliding window of failures with time passed in. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AttemptThrottle } from './attempt-throttle.ts';

describe('AttemptThrottle', () => {
  test('allows maxFailures failures, then waits until the oldest leaves the window', () => {
    const t = new AttemptThrottle(5, 60_000);
    for (let i = 0; i < 5; i++) {
      assert.equal(t.waitMs(1000 + i * 1000), 0, `attempt ${i + 1}`);
      t.fail(1000 + i * 1000);
    }
    assert.equal(t.waitMs(5000), 56_000, 'the first failure (t=1000) leaves at 61 000');
    assert.equal(t.waitMs(60_999), 1);
    assert.equal(t.waitMs(61_000), 0, 'one more guess once the oldest has aged out');
    t.fail(61_000);
    assert.equal(t.waitMs(61_000), 1000, 'then wait for the next oldest (t=2000)');
  });

  test('failures spread wider than the window never block', () => {
    const t = new AttemptThrottle(2, 1000);
    for (let now = 0; now < 10_000; now += 600) {
      assert.equal(t.waitMs(now), 0);
      t.fail(now);
    }
  });

  test('validates its arguments', () => {
    assert.throws(() => new AttemptThrottle(0), TypeError);
    assert.throws(() => new AttemptThrottle(1, 0), TypeError);
  });

  test('property: whoever waits as told never gets more than maxFailures failures into any window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 60 }), (max, gaps) => {
        const windowMs = 5000;
        const t = new AttemptThrottle(max, windowMs);
        const accepted: number[] = [];
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          if (t.waitMs(now) > 0) continue;
          t.fail(now);
          accepted.push(now);
        }
        for (const start of accepted) {
          const inWindow = accepted.filter((a) => a >= start && a < start + windowMs).length;
          assert.ok(inWindow <= max, `${inWindow} failures within ${windowMs} ms of ${start}`);
        }
      }),
    );
  });
});
