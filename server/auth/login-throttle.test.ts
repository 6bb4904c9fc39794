/**
 * Login throttling with explicit times: the 10th failure inside two minutes
 * blocks for exactly five, older failures stop counting, success forgets
 * failures but not a block, a block is not extended, keys are independent,
 * and the key table stays bounded without giving up blocks first.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, PENDING_WAIT_MS } from './login-throttle.ts';

const { maxFailures, windowMs, blockMs } = DEFAULT_LOGIN_THROTTLE;
const T0 = 1_800_000_000_000;
const KEY = 'addr:203.0.113.7';

/** `count` failures for `key`, `stepMs` apart from `startMs`; returns what each fail() answered. */
function failMany(throttle: LoginThrottle, key: string, count: number, startMs: number, stepMs = 1000): number[] {
  const answers: number[] = [];
  for (let i = 0; i < count; i++) answers.push(throttle.fail(key, startMs + i * stepMs));
  return answers;
}

describe('LoginThrottle', () => {
  test("defaults are Mumble's: 10 failures within 2 minutes block for 5 minutes, 10,000 keys", () => {
    assert.deepEqual({ ...DEFAULT_LOGIN_THROTTLE }, { maxFailures: 10, windowMs: 120_000, blockMs: 300_000, maxKeys: 10_000 });
  });

  test('an unknown key is allowed', () => {
    const t = new LoginThrottle();
    assert.equal(t.blockedFor(KEY, T0), 0);
    assert.equal(t.size, 0);
  });

  test('9 failures: still allowed', () => {
    const t = new LoginThrottle();
    assert.deepEqual(failMany(t, KEY, 9, T0), Array(9).fill(0));
    assert.equal(t.blockedFor(KEY, T0 + 9000), 0);
  });

  test('the 10th failure within the window blocks for exactly blockMs', () => {
    const t = new LoginThrottle();
    failMany(t, KEY, 9, T0);
    const at = T0 + 60_000;
    assert.equal(t.fail(KEY, at), blockMs);
    assert.equal(t.blockedFor(KEY, at), blockMs);
    assert.equal(t.blockedFor(KEY, at + 1), blockMs - 1);
    assert.equal(t.blockedFor(KEY, at + blockMs - 1), 1);
    assert.equal(t.blockedFor(KEY, at + blockMs), 0, 'the block ends');
  });

  test('ten failures at the same instant block', () => {
    const t = new LoginThrottle();
    assert.deepEqual(failMany(t, KEY, 10, T0, 0), [...Array(9).fill(0), blockMs]);
  });

  test('failures spread over more than the window never block (sliding window)', () => {
    const t = new LoginThrottle();
    // 9 steps of 13,334 ms = 120,006 ms: the 1st of any ten has left the window when the 10th comes.
    const answers = failMany(t, KEY, 200, T0, Math.ceil(windowMs / (maxFailures - 1)));
    assert.deepEqual(answers, Array(200).fill(0));
  });

  test('a failure stops counting exactly windowMs after it', () => {
    const t = new LoginThrottle();
    failMany(t, KEY, 9, T0, 0);
    assert.equal(t.fail(KEY, T0 + windowMs), 0, 'the nine at T0 have just left the window');
    const u = new LoginThrottle();
    failMany(u, KEY, 9, T0, 0);
    assert.equal(u.fail(KEY, T0 + windowMs - 1), blockMs, 'one ms earlier they still count');
  });

  test('old failures leave while new ones count: 5 early, 5 late, 5 more', () => {
    const t = new LoginThrottle();
    failMany(t, KEY, 5, T0, 0);
    failMany(t, KEY, 4, T0 + windowMs - 10, 0);
    // The early five have left: 4 + this one = 5.
    assert.equal(t.fail(KEY, T0 + windowMs), 0);
    assert.deepEqual(failMany(t, KEY, 5, T0 + windowMs + 1, 0), [0, 0, 0, 0, blockMs]);
  });

  test('failures while blocked neither extend the block nor count afterwards', () => {
    const t = new LoginThrottle();
    failMany(t, KEY, 10, T0, 0);
    for (let i = 1; i <= 50; i++) assert.equal(t.fail(KEY, T0 + i * 1000), blockMs - i * 1000);
    assert.equal(t.blockedFor(KEY, T0 + blockMs), 0);
    // After the block, counting starts from zero: nine more are allowed.
    assert.deepEqual(failMany(t, KEY, 9, T0 + blockMs, 0), Array(9).fill(0));
    assert.equal(t.fail(KEY, T0 + blockMs + 1), blockMs, 'and the tenth blocks again');
  });

  test('succeed forgets the failures', () => {
    const t = new LoginThrottle();
    failMany(t, KEY, 9, T0);
    t.succeed(KEY);
    assert.equal(t.size, 0);
    assert.deepEqual(failMany(t, KEY, 9, T0 + 10_000), Array(9).fill(0));
    assert.equal(t.fail(KEY, T0 + 20_000), blockMs);
  });

  test('succeed does not lift a block in force', () => {
    const t = new LoginThrottle();
    failMany(t, KEY, 10, T0, 0);
    t.succeed(KEY);
    assert.equal(t.blockedFor(KEY, T0 + 1000), blockMs - 1000);
    assert.equal(t.blockedFor(KEY, T0 + blockMs), 0);
  });

  test('succeed on an unknown key does nothing', () => {
    const t = new LoginThrottle();
    t.succeed('user:nobody');
    assert.equal(t.size, 0);
  });

  test('keys are independent', () => {
    const t = new LoginThrottle();
    failMany(t, 'addr:203.0.113.7', 10, T0, 0);
    failMany(t, 'user:alice', 9, T0, 0);
    assert.equal(t.blockedFor('addr:203.0.113.7', T0), blockMs);
    assert.equal(t.blockedFor('addr:203.0.113.8', T0), 0);
    assert.equal(t.blockedFor('user:alice', T0), 0);
    t.succeed('user:alice');
    assert.equal(t.blockedFor('addr:203.0.113.7', T0), blockMs);
  });

  test('options: partial options keep the other defaults', () => {
    const t = new LoginThrottle({ maxFailures: 3 });
    assert.deepEqual(failMany(t, KEY, 3, T0, 0), [0, 0, blockMs]);
    const u = new LoginThrottle({ maxFailures: 1, blockMs: 50, windowMs: 10 });
    assert.equal(u.fail(KEY, T0), 50);
    assert.equal(u.blockedFor(KEY, T0 + 50), 0);
  });

  test('TypeError for non-positive or non-numeric options and bad arguments', () => {
    const bad: object[] = [
      { maxFailures: 0 },
      { maxFailures: -1 },
      { maxFailures: 1.5 },
      { windowMs: 0 },
      { windowMs: Number.NaN },
      { blockMs: -5 },
      { blockMs: Number.POSITIVE_INFINITY },
      { maxKeys: 0 },
      { maxKeys: '10' },
    ];
    for (const options of bad) assert.throws(() => new LoginThrottle(options), TypeError, JSON.stringify(options));
    const t = new LoginThrottle();
    assert.throws(() => t.fail(KEY, Number.NaN), TypeError);
    assert.throws(() => t.blockedFor(42 as unknown as string, T0), TypeError);
    assert.throws(() => t.succeed(undefined as unknown as string), TypeError);
  });

  describe('bounded memory', () => {
    test('never more than maxKeys keys', () => {
      const t = new LoginThrottle({ maxKeys: 100 });
      for (let i = 0; i < 1000; i++) t.fail(`addr:${i}`, T0 + i);
      assert.equal(t.size, 100);
    });

    test('a blocked key is kept over a stale one even when the stale one was touched later', () => {
      const t = new LoginThrottle({ maxKeys: 2 });
      failMany(t, 'addr:blocked', 10, T0, 0);
      t.fail('addr:stale', T0 + 1000);
      // The stale key's one failure has left the window; the block has not ended.
      const later = T0 + 1000 + windowMs;
      t.fail('addr:new', later);
      assert.equal(t.size, 2);
      assert.equal(t.blockedFor('addr:blocked', later), blockMs - (later - T0));
      // The stale key was dropped: its failures start over (9 more would not block).
      assert.deepEqual(failMany(t, 'addr:stale', 9, later, 0), Array(9).fill(0));
    });

    test('a full sweep drops every idle key at once', () => {
      const t = new LoginThrottle({ maxKeys: 50 });
      for (let i = 0; i < 50; i++) t.fail(`addr:${i}`, T0);
      t.fail('addr:new', T0 + windowMs);
      assert.equal(t.size, 1);
    });

    test('when nothing is idle, the least recently touched unblocked key goes', () => {
      const t = new LoginThrottle({ maxKeys: 3 });
      failMany(t, 'a', 10, T0, 0); // blocked, touched first
      t.fail('b', T0 + 1);
      t.fail('c', T0 + 2);
      t.fail('b', T0 + 3); // b is now more recent than c
      t.fail('d', T0 + 4);
      assert.equal(t.size, 3);
      assert.equal(t.blockedFor('a', T0 + 4), blockMs - 4, 'the blocked key stays');
      // c (least recently touched, unblocked) went; b kept its two failures.
      assert.deepEqual(failMany(t, 'b', 8, T0 + 5, 0), [...Array(7).fill(0), blockMs]);
      assert.deepEqual(failMany(t, 'c', 9, T0 + 6, 0), Array(9).fill(0));
    });

    test('when every key is blocked, the least recently touched one goes', () => {
      const t = new LoginThrottle({ maxKeys: 2, maxFailures: 1 });
      t.fail('a', T0);
      t.fail('b', T0 + 1);
      t.fail('c', T0 + 2);
      assert.equal(t.size, 2);
      assert.equal(t.blockedFor('a', T0 + 2), 0);
      assert.ok(t.blockedFor('b', T0 + 2) > 0);
      assert.ok(t.blockedFor('c', T0 + 2) > 0);
    });

    test('blockedFor drops a key whose state has lapsed', () => {
      const t = new LoginThrottle();
      t.fail(KEY, T0);
      assert.equal(t.blockedFor(KEY, T0 + windowMs - 1), 0);
      assert.equal(t.size, 1);
      assert.equal(t.blockedFor(KEY, T0 + windowMs), 0);
      assert.equal(t.size, 0);
    });
  });

  test('property: blocked exactly when some failure is the maxFailures-th inside a window, outside an earlier block', () => {
    // A reference model written the plain way: replay every failure from the start.
    function model(times: number[], max: number, window: number, block: number): number[] {
      const answers: number[] = [];
      let counted: number[] = [];
      let until = 0;
      for (const now of times) {
        if (until > now) {
          answers.push(until - now);
          continue;
        }
        counted = counted.filter((t) => t > now - window);
        counted.push(now);
        if (counted.length >= max) {
          counted = [];
          until = now + block;
          answers.push(block);
        } else {
          answers.push(0);
        }
      }
      return answers;
    }
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 80 }),
        (max, window, block, gaps) => {
          const t = new LoginThrottle({ maxFailures: max, windowMs: window, blockMs: block });
          const times: number[] = [];
          let now = T0;
          for (const gap of gaps) times.push((now += gap));
          assert.deepEqual(times.map((at) => t.fail(KEY, at)), model(times, max, window, block));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('LoginThrottle.begin / end: attempts in flight', () => {
  test('attempts in flight count against the allowance; ending them as successes frees it again', () => {
    const t = new LoginThrottle({ maxFailures: 3, windowMs: 1000, blockMs: 5000 });
    assert.equal(t.begin('k', 0), 0);
    assert.equal(t.begin('k', 0), 0);
    assert.equal(t.begin('k', 0), 0);
    assert.equal(t.begin('k', 0), PENDING_WAIT_MS, 'three checks already running');
    t.end('k', false, 1);
    assert.equal(t.begin('k', 1), 0, 'a success freed its place');
    t.end('k', true, 2);
    t.end('k', true, 2);
    assert.equal(t.blockedFor('k', 2), 0, 'two failures do not block');
    t.end('k', true, 3);
    assert.equal(t.blockedFor('k', 3), 5000, 'the third failure blocks, as fail() does');
    assert.equal(t.begin('k', 3), 5000);
  });
});
