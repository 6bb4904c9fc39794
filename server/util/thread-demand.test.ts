import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadDemand, threadSchedNs } from './thread-demand.ts';

test('ThreadDemand: the share of wall time the thread ran or waited to run between samples; null where it cannot be read', () => {
  let now = 1000;
  let ns: number | null = 5e9;
  const d = new ThreadDemand(() => now, () => ns);
  now += 250;
  ns! += 200e6; // ran or waited 200 of 250 ms
  assert.equal(d.sample(), 0.8);
  now += 250;
  ns! += 25e6;
  assert.equal(d.sample(), 0.1);
  ns = null;
  now += 250;
  assert.equal(d.sample(), null);
  ns = 9e9;
  assert.equal(d.sample(), null, 'once unreadable, not read again');
  assert.equal(new ThreadDemand(() => 0, () => null).sample(), null);
});

test('on Linux it reads this thread: a busy loop of 250 ms shows at least that much demand', { skip: !threadSchedNs() } /* no file, or a kernel without scheduler statistics (zeros) */, () => {
  const d = new ThreadDemand();
  // Long enough that the scheduler's accounting granularity (a tick, a few ms) is well under the 10 % margin.
  const until = performance.now() + 250;
  while (performance.now() < until);
  const share = d.sample();
  assert.ok(share !== null && share >= 0.9, String(share));
});
