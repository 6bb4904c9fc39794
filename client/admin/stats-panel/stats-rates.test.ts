import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stats } from '../api/types.ts';
import { statsRates } from './stats-rates.ts';

function stats(relay: Partial<Stats['relay']>, holdCounts: number[] = []): Stats {
  return {
    uptimeSeconds: 10,
    sessions: 1,
    controlConnections: 1,
    relay: { datagramsIn: 0, bytesIn: 0, forwarded: 0, bytesOut: 0, keepalives: 0, pingsEchoed: 0, drops: {}, ...relay },
    relayHold: { bucketMs: 0.25, counts: holdCounts },
    shards: [],
    control: { connections: 1, messagesIn: 0, invalid: 0, rateLimited: 0, closedForAbuse: 0 },
    process: { rssBytes: 1, heapUsedBytes: 1, unhandledRejections: 0 },
  };
}

test('rates are the counters\' growth over the seconds between the samples', () => {
  const r = statsRates(
    { stats: stats({ datagramsIn: 100, forwarded: 200, bytesIn: 1000, bytesOut: 4000, drops: { malformed: 1 } }), atMs: 1000 },
    { stats: stats({ datagramsIn: 200, forwarded: 400, bytesIn: 3000, bytesOut: 8000, drops: { malformed: 5, 'unknown-sender': 2 } }), atMs: 3000 },
  );
  assert.equal(r.datagramsIn, 50);
  assert.equal(r.forwarded, 100);
  assert.equal(r.bytesIn, 1000);
  assert.equal(r.bytesOut, 2000);
  assert.deepEqual(r.drops, [
    { reason: 'malformed', total: 5, perSecond: 2 },
    { reason: 'unknown-sender', total: 2, perSecond: 1 },
  ]);
});

test('the first sample has totals but no rates', () => {
  const r = statsRates(null, { stats: stats({ datagramsIn: 7, drops: { malformed: 3 } }), atMs: 5 });
  assert.equal(r.datagramsIn, null);
  assert.deepEqual(r.drops, [{ reason: 'malformed', total: 3, perSecond: null }]);
});

test('a counter that went down (server restart) has no rate; a zero interval neither', () => {
  const before = { stats: stats({ datagramsIn: 500, forwarded: 10 }), atMs: 0 };
  const r = statsRates(before, { stats: stats({ datagramsIn: 20, forwarded: 30 }), atMs: 2000 });
  assert.equal(r.datagramsIn, null);
  assert.equal(r.forwarded, 10);
  assert.equal(statsRates(before, { ...before }).forwarded, null);
});

test('the relay hold over the interval: percentiles of what the histogram gained; none on the first sample, an idle interval or a restart', () => {
  const before = { stats: stats({}, [100, 5]), atMs: 0 };
  // Gained 97 at 0–0.25 ms, 2 at 0.5–0.75, 1 at 1.75–2 ms.
  const r = statsRates(before, { stats: stats({}, [197, 5, 2, 0, 0, 0, 0, 1]), atMs: 2000 });
  assert.deepEqual(r.hold, { p50: 0.25, p99: 0.75 });
  assert.deepEqual(statsRates(before, { stats: stats({}, [197, 5, 2, 0, 0, 0, 0, 2]), atMs: 2000 }).hold, { p50: 0.25, p99: 2 });
  assert.equal(statsRates(null, before).hold, null);
  assert.equal(statsRates(before, { ...before, atMs: 2000 }).hold, null, 'nothing sent in between');
  assert.equal(statsRates(before, { stats: stats({}, [3]), atMs: 2000 }).hold, null, 'restarted');
});

test('relay threads: each shard\'s rates and its share of a core over the interval, matched by index; unknown CPU reads null', () => {
  const shard = (index: number, o: Partial<Stats['shards'][number]>): Stats['shards'][number] => ({
    index,
    members: 0,
    channels: 0,
    peers: 0,
    datagramsIn: 0,
    forwarded: 0,
    drops: 0,
    whispersOut: 0,
    whispersIn: 0,
    restarts: 0,
    cpuMs: 0,
    cpuWaitMs: 0,
    overloaded: false,
    ...o,
  });
  const at = (atMs: number, shards: Stats['shards']) => ({ stats: { ...stats({}), shards }, atMs });
  const before = at(0, [shard(0, { datagramsIn: 100, forwarded: 900, drops: 2, cpuMs: 5000, cpuWaitMs: 100 }), shard(1, { cpuMs: 800, cpuWaitMs: null })]);
  const after = at(2000, [
    shard(0, { members: 10, channels: 1, datagramsIn: 1100, forwarded: 9900, drops: 6, cpuMs: 5300, cpuWaitMs: 140, overloaded: true, restarts: 1 }),
    shard(1, { cpuMs: 810, cpuWaitMs: null }),
  ]);
  const [s0, s1] = statsRates(before, after).shards;
  assert.deepEqual(s0, {
    index: 0,
    members: 10,
    channels: 1,
    peers: 0,
    datagramsIn: 500,
    forwarded: 4500,
    drops: 2,
    cpu: 0.15, // 300 ms of CPU in 2 s
    cpuWait: 0.02,
    overloaded: true,
    restarts: 1,
  });
  assert.equal(s1!.cpu, 0.005);
  assert.equal(s1!.cpuWait, null, 'not readable on this platform');
  // The first sample, or a shard new since the last one: totals only.
  assert.equal(statsRates(null, after).shards[0]!.cpu, null);
  assert.equal(statsRates(at(0, [before.stats.shards[0]!]), after).shards[1]!.forwarded, null);
});
