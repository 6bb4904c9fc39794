/** The figures the bots report: jitter-counter sums, the delay histogram, the send/arrival join behind transit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayHistogram, ReceiveStats, SendLog, TRANSIT_SAMPLE_EVERY, addJitterCounters, transitSummary, wallClockTimestamp } from './bot-stats.ts';
import { zeroJitterCounters } from '../../shared/audio/jitter-buffer.ts';

test('zeroJitterCounters is a fresh all-zero record; addJitterCounters adds every counter', () => {
  const total = zeroJitterCounters();
  assert.notEqual(total, zeroJitterCounters());
  assert.ok(Object.values(total).every((v) => v === 0));
  const one = zeroJitterCounters();
  for (const [i, k] of (Object.keys(one) as (keyof typeof one)[]).entries()) one[k] = i + 1;
  addJitterCounters(total, one);
  addJitterCounters(total, one);
  for (const [i, k] of (Object.keys(one) as (keyof typeof one)[]).entries()) assert.equal(total[k], 2 * (i + 1), k);
  assert.equal(Object.keys(total).length, 11);
});

test('DelayHistogram: percentiles at bucket edges (never above the max), merge of a serialised one', () => {
  const h = new DelayHistogram();
  for (let i = 0; i < 98; i++) h.record(1.05);
  h.record(7.33);
  h.record(250);
  const p = h.percentiles();
  assert.deepEqual([p.p50, p.p95, p.p99, p.count], [1.1, 1.1, 7.4, 100]);
  assert.equal(p.max, 250);
  const other = new DelayHistogram();
  other.merge(JSON.parse(JSON.stringify(h)));
  assert.deepEqual(other.percentiles(), p);
  h.record(5000);
  assert.equal(h.percentiles().max, 5000, 'beyond the last bucket: counted there, the max kept');
});

test('transitSummary joins each sampled arrival with the send of the same frame, across the 2³² timestamp wrap; warm-up, unsent and unknown frames left out', () => {
  // Frame 0 due 1 ms before the sample timestamp wraps: frame n's timestamp is (ts0 + 960 n) mod 2³².
  const due0 = (0x1_0000_0000 - 48) / 48;
  const log = new SendLog(7, 10);
  // Frames 0 and 5 were not sent (the lane's backlog dropped them); frame 3 left 9 ms late, the rest 0.5 ms.
  for (let n = 1; n < 10; n++) if (n !== 5) log.mark(n, due0 + 20 * n, due0 + 20 * n + (n === 3 ? 9 : 0.5));
  const ts = (n: number) => wallClockTimestamp(due0 + 20 * n);
  assert.ok(ts(2) < ts(0), 'the timestamps wrapped');
  const samples = [
    7, ts(1), due0 + 20 + 2, // warm-up (measured from frame 2): out
    7, ts(2), due0 + 40 + 0.5 + 3, // 3 ms after its send
    7, ts(3), due0 + 60 + 9 + 4, // 4 ms after its (late) send
    7, ts(5), due0 + 100 + 1, // never sent: out (not a 0 ms transit)
    8, ts(2), due0 + 50, // a sender without a log
    7, ts(2) + 5, due0 + 50, // not a frame of this talker
  ];
  // The log crosses a process boundary as JSON (fork IPC).
  const r = transitSummary([JSON.parse(JSON.stringify(log))], samples, due0 + 40);
  assert.equal(r.transit.count, 2);
  assert.ok(Math.abs(r.transit.max - 4) < 1e-6 && r.transit.p50 >= 3 && r.transit.p50 <= 3.1, JSON.stringify(r.transit));
  assert.equal(r.sendLate.count, 7, 'frames 2–9 but 5');
  assert.ok(Math.abs(r.sendLate.max - 9) < 1e-6 && r.sendLate.p50 === 0.6, JSON.stringify(r.sendLate));
  assert.equal(transitSummary([new SendLog(9, 10).toJSON()], [9, ts(0), due0 + 1], 0).transit.count, 0, 'a talker that sent nothing');
});

test('ReceiveStats keeps every TRANSIT_SAMPLE_EVERY-th frame after the warm-up for the join, and merges them', () => {
  const measureFrom = 1_000_000;
  const a = new ReceiveStats(measureFrom);
  for (let seq = 0; seq < 40; seq++) {
    const due = measureFrom - 200 + 20 * seq;
    a.record(9, seq, wallClockTimestamp(due), due + 2);
  }
  // Due from measureFrom on: sequences 10–39; multiples of TRANSIT_SAMPLE_EVERY among them.
  const kept = [];
  for (let seq = 10; seq < 40; seq++) if (seq % TRANSIT_SAMPLE_EVERY === 0) kept.push(seq);
  assert.equal(a.transitSamples.length, 3 * kept.length);
  assert.deepEqual(a.transitSamples.slice(0, 3), [9, wallClockTimestamp(measureFrom - 200 + 20 * kept[0]!), measureFrom - 200 + 20 * kept[0]! + 2]);
  const total = new ReceiveStats();
  total.merge(a.serialize());
  assert.deepEqual(total.transitSamples, a.transitSamples);
  assert.equal(total.summary().delay.count, 30);
});
