import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadDemand, threadCpuMs, threadSched, type SchedTimes } from './thread-demand.ts';

test('ThreadDemand: the share of wall time the thread ran or waited to run between samples; null where it cannot be read', () => {
  let now = 1000;
  let t: SchedTimes | null = { runNs: 4e9, waitNs: 1e9 };
  const d = new ThreadDemand(() => now, () => t && { ...t });
  assert.equal(d.ranMs, 4000);
  assert.equal(d.waitedMs, 1000);
  now += 250;
  t = { runNs: 4.15e9, waitNs: 1.05e9 }; // ran 150 and waited 50 of 250 ms
  assert.equal(d.sample(), 0.8);
  assert.equal(d.ranMs, 4150);
  assert.equal(d.waitedMs, 1050);
  now += 250;
  t = { runNs: 4.17e9, waitNs: 1.055e9 };
  assert.ok(Math.abs(d.sample()! - 0.1) < 1e-12);
  t = null;
  now += 250;
  assert.equal(d.sample(), null);
  assert.equal(d.ranMs, null);
  assert.equal(d.waitedMs, null);
  t = { runNs: 9e9, waitNs: 0 };
  assert.equal(d.sample(), null, 'once unreadable, not read again');
  const never = new ThreadDemand(() => 0, () => null);
  assert.equal(never.sample(), null);
  assert.equal(never.ranMs, null);
  assert.equal(never.waitedMs, null);
});

test('on Linux it reads this thread: a busy loop of 250 ms shows at least that much demand', { skip: !threadSched() } /* no file, or a kernel without scheduler statistics (zeros) */, () => {
  const d = new ThreadDemand();
  const ranBefore = d.ranMs!;
  const cpuBefore = threadCpuMs();
  // Long enough that the scheduler's accounting granularity (a tick, a few ms) is well under the 10 % margin.
  const until = performance.now() + 250;
  while (performance.now() < until);
  const share = d.sample();
  assert.ok(share !== null && share >= 0.9, String(share));
  // The thread's CPU time grew, by no more than the loop (it ran or waited), read from schedstat and from Node alike.
  const ran = d.ranMs! - ranBefore;
  assert.ok(ran > 0 && ran <= 250 + 20, `ran ${ran} ms`);
  if (cpuBefore !== null) {
    const cpu = threadCpuMs()! - cpuBefore;
    assert.ok(cpu > 0 && cpu <= 250 + 20, `cpu ${cpu} ms`);
  }
});
