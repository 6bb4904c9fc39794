/**
 * ShardPlacement, driven directly: a channel with members keeps its shard; an
 * empty channel's first member takes it to the least-loaded shard (the joiner
 * counted as gone, ties to the joiner's shard, else the lowest index); an
 * emptied channel is forgotten; loads always add up (property test). And the
 * UDP port range's split between shards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShardPlacement, portSlice } from './placement.ts';

test('the first channel goes to shard 0; its later members follow it whatever the loads', () => {
  const p = new ShardPlacement(2);
  assert.equal(p.place(1, 10), 0);
  assert.equal(p.place(2, 10), 0);
  assert.equal(p.place(3, 10), 0);
  assert.equal(p.shardOfChannel(10), 0);
  assert.deepEqual([p.load(0), p.load(1)], [3, 0]);
  assert.deepEqual(p.channelTokens(10), [1, 2, 3]);
});

test('an empty channel goes to the least-loaded shard, the joiner counted as gone from its own', () => {
  const p = new ShardPlacement(3);
  p.place(1, 10); // shard 0
  p.place(2, 10);
  // Token 2 leaves channel 10 for empty 20: loads without it are 1, 0, 0 → shard 1 (lowest of the tied least).
  assert.equal(p.place(2, 20), 1);
  // A new session into empty 30: loads 1, 1, 0 → shard 2.
  assert.equal(p.place(3, 30), 2);
  // Another into empty 40: 1, 1, 1 → all tie, no shard of its own → lowest index.
  assert.equal(p.place(4, 40), 0);
  assert.deepEqual([p.load(0), p.load(1), p.load(2)], [2, 1, 1]);
});

test('ties go to the joiner’s own shard, so a move between empty channels stays put', () => {
  const p = new ShardPlacement(2);
  p.place(1, 10); // shard 0
  p.place(2, 20); // shard 1
  p.place(3, 20); // shard 1 (its channel's)
  // Token 3 moves to empty 30: without it the loads are 1, 1 → a tie; its own shard 1 wins over the lower index.
  assert.equal(p.place(3, 30), 1);
  // Token 1 moves to empty 40: without it 0, 2 → shard 0, least and its own.
  assert.equal(p.place(1, 40), 0);
  // A new session (no shard of its own) into empty 50: loads 1, 2 → shard 0.
  assert.equal(p.place(4, 50), 0);
  // Tied without the joiner, no shard of its own: the lowest index.
  p.remove(4);
  p.remove(3);
  assert.equal(p.place(5, 60), 0, 'loads 1, 1 and a new session: shard 0');
});

test('a tie that does not include the joiner’s shard goes to the lowest index', () => {
  const p = new ShardPlacement(3);
  p.place(1, 10); // 0
  p.place(2, 20); // 1
  p.place(3, 30); // 2
  p.place(4, 30); // 2 (follows its channel)
  // Token 4 leaves shard 2 for empty 40: loads without it 1, 1, 1 → tie includes its own shard 2.
  assert.equal(p.place(4, 40), 2);
  p.place(5, 30); // 2: loads 1, 1, 3
  // Token 5 for empty 50: without it 1, 1, 2 → shards 0 and 1 tie, 2 is not among them → 0.
  assert.equal(p.place(5, 50), 0);
});

test('a channel with members keeps its shard even when another is emptier; an emptied channel is placed again', () => {
  const p = new ShardPlacement(2);
  p.place(1, 10); // 0
  p.place(2, 10); // 0
  p.place(3, 20); // 1
  assert.equal(p.place(4, 10), 0, 'channel 10 has members: its shard, loads notwithstanding');
  assert.equal(p.remove(3), 1);
  assert.equal(p.shardOfChannel(20), null, 'an empty channel is forgotten');
  assert.equal(p.place(5, 20), 1, 'placed again: shard 1 has nobody');
  for (const t of [1, 2, 4]) p.remove(t);
  assert.equal(p.shardOfChannel(10), null);
  assert.equal(p.place(6, 10), 0, 'channel 10 again: loads 0, 1 → shard 0');
});

test('placing a member in its own channel again changes nothing', () => {
  const p = new ShardPlacement(2);
  p.place(1, 10);
  p.place(2, 20);
  assert.equal(p.place(2, 20), 1);
  assert.deepEqual([p.load(0), p.load(1)], [1, 1]);
  assert.deepEqual(p.channelTokens(20), [2]);
});

test('queries: has, shardOf, tokensOn, channelsOn, entries; remove of an unknown token', () => {
  const p = new ShardPlacement(2);
  p.place(1, 10);
  p.place(2, 20);
  p.place(3, 20);
  assert.equal(p.has(3), true);
  assert.equal(p.shardOf(3), 1);
  assert.equal(p.shardOf(9), null);
  assert.deepEqual(p.tokensOn(1), [2, 3]);
  assert.equal(p.channelsOn(0), 1);
  assert.deepEqual(p.entries(), [[1, 0], [2, 1], [3, 1]]);
  assert.equal(p.remove(9), null);
  assert.throws(() => new ShardPlacement(0), TypeError);
});

test('property: loads always equal the members per shard, members share their channel’s shard, a move lands on a least-loaded shard or the channel’s', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('place' as const), token: fc.integer({ min: 1, max: 12 }), channel: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ kind: fc.constant('remove' as const), token: fc.integer({ min: 1, max: 12 }) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 80 }), (shards, ops) => {
      const p = new ShardPlacement(shards);
      const channelOf = new Map<number, number>();
      for (const o of ops) {
        if (o.kind === 'remove') {
          p.remove(o.token);
          channelOf.delete(o.token);
          continue;
        }
        const before = p.shardOfChannel(o.channel);
        const wasIn = channelOf.get(o.token);
        // Loads as the rule sees them: the joiner gone from where it was.
        const loads = Array.from({ length: shards }, (_, i) => p.load(i));
        const own = p.shardOf(o.token);
        if (own !== null && wasIn !== o.channel) loads[own]!--;
        const shard = p.place(o.token, o.channel);
        channelOf.set(o.token, o.channel);
        const least = Math.min(...loads);
        if (wasIn === o.channel) assert.equal(shard, own);
        else if (before !== null) assert.equal(shard, before);
        else if (own !== null && loads[own] === least) assert.equal(shard, own);
        else assert.equal(shard, loads.indexOf(least));
      }
      const counts = new Array<number>(shards).fill(0);
      for (const [token, channel] of channelOf) {
        const s = p.shardOf(token)!;
        counts[s]!++;
        assert.equal(s, p.shardOfChannel(channel));
      }
      assert.deepEqual(Array.from({ length: shards }, (_, i) => p.load(i)), counts);
    }),
  );
});

test('portSlice splits a UDP port range evenly, every port in exactly one slice', () => {
  assert.deepEqual([0, 1].map((i) => portSlice([40000, 40199], i, 2)), [[40000, 40099], [40100, 40199]]);
  assert.deepEqual([0, 1, 2].map((i) => portSlice([40000, 40009], i, 3)), [[40000, 40002], [40003, 40005], [40006, 40009]]);
  assert.deepEqual([0, 1, 2].map((i) => portSlice([5000, 5002], i, 3)), [[5000, 5000], [5001, 5001], [5002, 5002]]);
  fc.assert(
    fc.property(fc.integer({ min: 1024, max: 60000 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 64 }), (min, extra, count) => {
      const max = min + Math.max(extra, count - 1);
      const ports: number[] = [];
      for (let i = 0; i < count; i++) {
        const [a, b] = portSlice([min, max], i, count);
        assert.ok(a <= b);
        for (let port = a; port <= b; port++) ports.push(port);
      }
      assert.deepEqual(ports, Array.from({ length: max - min + 1 }, (_, i) => min + i));
    }),
  );
});
