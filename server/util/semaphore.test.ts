/**
 * Semaphore: never more than `limit` tasks at once, waiters served in arrival
 * order, a full queue refuses at once with BusyError, and a failing task still
 * frees its slot.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Semaphore } from './semaphore.ts';
import { BusyError } from './errors.ts';

/** A promise the test resolves by hand, to hold a task in its slot. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('Semaphore', () => {
  test('runs at most `limit` tasks at once; the rest wait', async () => {
    const s = new Semaphore({ limit: 2, maxQueue: 10 });
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) => s.run(async () => {
      started.push(i);
      await g.promise;
      return i;
    }));
    await tick();
    assert.deepEqual(started, [0, 1]);
    assert.equal(s.active, 2);
    assert.equal(s.queued, 2);
    gates[1]!.open();
    await tick();
    assert.deepEqual(started, [0, 1, 2], 'the first waiter takes the freed slot');
    assert.equal(s.active, 2);
    for (const g of gates) g.open();
    assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
    assert.equal(s.active, 0);
    assert.equal(s.queued, 0);
    assert.equal(s.peak, 2);
  });

  test('a full queue refuses at once with BusyError and does not call the task', async () => {
    const s = new Semaphore({ limit: 1, maxQueue: 1 });
    const g = gate();
    const first = s.run(() => g.promise);
    const second = s.run(() => g.promise);
    let called = false;
    await assert.rejects(s.run(async () => {
      called = true;
    }), BusyError);
    assert.equal(called, false);
    g.open();
    await Promise.all([first, second]);
    await s.run(async () => {}); // room again
  });

  test('a rejecting or throwing task frees its slot and passes its error on', async () => {
    const s = new Semaphore({ limit: 1, maxQueue: 0 });
    await assert.rejects(s.run(async () => {
      throw new Error('boom');
    }), /boom/);
    await assert.rejects(s.run(() => {
      throw new Error('sync boom');
    }), /sync boom/);
    assert.equal(s.active, 0);
    assert.equal(await s.run(async () => 7), 7);
  });

  test('validates its options', () => {
    assert.throws(() => new Semaphore({ limit: 0, maxQueue: 1 }), TypeError);
    assert.throws(() => new Semaphore({ limit: 1.5, maxQueue: 1 }), TypeError);
    assert.throws(() => new Semaphore({ limit: 1, maxQueue: -1 }), TypeError);
  });

  test('property: any mix of task lengths never exceeds the limit, and every admitted task completes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 20 }),
        async (limit, maxQueue, lengths) => {
          const s = new Semaphore({ limit, maxQueue });
          let running = 0;
          let most = 0;
          const outcomes = await Promise.allSettled(lengths.map((ticks) => s.run(async () => {
            running++;
            most = Math.max(most, running);
            for (let i = 0; i < ticks; i++) await tick();
            running--;
          })));
          assert.ok(most <= limit, `${most} ran at once with limit ${limit}`);
          const refused = outcomes.filter((o) => o.status === 'rejected');
          assert.ok(refused.every((o) => o.status === 'rejected' && o.reason instanceof BusyError));
          // Everything is submitted synchronously: exactly limit + maxQueue are admitted.
          assert.equal(outcomes.length - refused.length, Math.min(lengths.length, limit + maxQueue));
          assert.equal(s.active + s.queued, 0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
