import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stats } from '../api/types.ts';
import { statsRates } from './stats-rates.ts';

function stats(relay: Partial<Stats['relay']>): Stats {
  return {
    uptimeSeconds: 10,
    sessions: 1,
    controlConnections: 1,
    relay: { datagramsIn: 0, bytesIn: 0, forwarded: 0, bytesOut: 0, keepalives: 0, pingsEchoed: 0, drops: {}, ...relay },
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
