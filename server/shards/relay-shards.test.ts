/**
 * RelayShards with real worker threads (no peers): start-up waits for every
 * thread and fails whole when one cannot start; membership reaches the shard
 * of the member's channel and leaves the old one on a move (asked in the
 * threads themselves); a thread that dies is restarted with its members pushed
 * again, its peer handles closed, its tokens reported and its CPU time carried
 * on; so is one whose
 * event loop hangs (the watchdog), though not by a watchdog round that came
 * late because the whole process was stopped; a rejection nobody
 * awaits is contained in its thread and counted; close() leaves no thread
 * behind.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RelayShards, type RelayShardsOptions } from './relay-shards.ts';
import type { MemberState } from '../relay/voice-relay.ts';
import { waitFor } from '../../e2e/wait.ts';
import { setLogLevel } from '../util/log.ts';

before(() => setLogLevel('silent')); // the crashes here are on purpose

const PEER = { portRange: null, extraHostAddresses: [], announcedAddress: null, dtlsKeys: null };
const state = (channelId: number): MemberState => ({ channelId, config: { bitrate: 16_000, frameSamples: 960 }, selfMute: false, selfDeaf: false });
/** Two shards whose threads first import the module `source` and call its default export with `data`. */
const withPreload = (source: string, data: unknown = null, options: Pick<RelayShardsOptions, 'stallMs' | 'watchdogClock'> = {}): RelayShards =>
  new RelayShards({ threads: 2, peer: PEER, logLevel: 'silent', ...options, preload: { url: `data:text/javascript,${source}`, data } });

/**
 * A preload whose data is a 16-byte SharedArrayBuffer: shard 1's first thread spins for good 300 ms after
 * it starts, writing the wall-clock ms the spin began at byte 8 first; the flag at byte 0 keeps its successors well.
 */
const SPIN_SHARD_1 =
  'import { workerData } from "node:worker_threads"; export default (sab) => { const flag = new Int32Array(sab, 0, 1); const at = new Float64Array(sab, 8, 1); if (workerData.index === 1 && Atomics.compareExchange(flag, 0, 0, 1) === 0) setTimeout(() => { at[0] = Date.now(); for (;;); }, 300); }';
/** When SPIN_SHARD_1's spin began (wall-clock ms), 0 before. */
const spunAt = (shared: SharedArrayBuffer): number => new Float64Array(shared, 8, 1)[0]!;

/**
 * Members 1 (shard 0) and 2 (shard 1), a peer for member 2; what the next
 * restart reports (rejected after `limitMs`), and whether that peer's handle was closed.
 */
function awaitRestart(relay: RelayShards, limitMs = 10_000) {
  relay.setMember(1, state(10));
  relay.setMember(2, state(20));
  const peer = relay.createPeer(2);
  let closed = false;
  peer.once('closed', () => (closed = true));
  const restarted = new Promise<[number, number[]]>((resolve, reject) => {
    relay.once('shard-restarted', (index, tokens) => resolve([index, tokens]));
    setTimeout(() => reject(new Error(`no shard was restarted within ${limitMs} ms`)), limitMs).unref();
  });
  return { peer, restarted, peerClosed: () => closed };
}

test('members go to their channel’s shard and leave the old one on a move; close() ends every thread', async () => {
  const relay = new RelayShards({ threads: 2, peer: PEER, logLevel: 'error' });
  relay.setMember(1, state(10)); // pushed before start: kept in the mirror, sent at start
  assert.equal(relay.runningThreads, 0);
  await relay.start();
  try {
    await members(relay);
  } finally {
    await relay.close();
  }
  assert.equal(relay.runningThreads, 0, 'every thread has exited');
});

async function members(relay: RelayShards): Promise<void> {
  assert.equal(relay.runningThreads, 2, 'one thread per shard');
  relay.setMember(2, state(20));
  assert.deepEqual([relay.shardOfChannel(10), relay.shardOfChannel(20)], [0, 1]);
  assert.deepEqual(await relay.query(0, 1), { member: true, peerOpen: false });
  assert.deepEqual(await relay.query(1, 2), { member: true, peerOpen: false });
  assert.equal(relay.setMember(2, state(10)), true, 'a move to another shard is reported');
  assert.deepEqual(await relay.query(1, 2), { member: false, peerOpen: false }, 'the old shard forgot it');
  assert.deepEqual(await relay.query(0, 2), { member: true, peerOpen: false });
  assert.equal(relay.setMember(2, { ...state(10), selfMute: true }), false, 'a change of state in the same channel is no move');
  assert.deepEqual(relay.channelTokens(10), [1, 2]);
  // Leaving shard 0 (loads 1 and 0 without it) for an empty channel takes it to shard 1: reported again.
  assert.equal(relay.setMember(2, state(30)), true);
  assert.deepEqual(await relay.query(1, 2), { member: true, peerOpen: false });
  relay.removeMember(1);
  assert.equal(relay.hasMember(1), false);
  assert.deepEqual(await relay.query(0, 1), { member: false, peerOpen: false });
  assert.equal(relay.counters.datagramsIn, 0);
}

test('a thread that dies is restarted: members pushed again, peer handles closed, its tokens reported, its CPU time carried on', async () => {
  // Shard 1's first thread burns a second of CPU as it starts, more than its successor will have used when checked.
  const relay = withPreload(
    'import { workerData } from "node:worker_threads"; export default (sab) => { if (workerData.index === 1 && Atomics.add(new Int32Array(sab), 0, 1) === 0) { const until = Date.now() + 1000; while (Date.now() < until); } }',
    new SharedArrayBuffer(4),
  );
  await relay.start();
  try {
    const cpu = () => relay.shardStats()[1]!.cpuMs!;
    await waitFor(() => cpu() >= 900, 5000, 'the first thread’s CPU time counted');
    const cpuBefore = cpu();
    const { peer, restarted, peerClosed } = awaitRestart(relay);
    await relay.terminateShard(1);
    assert.deepEqual(await restarted, [1, [2]]);
    // The new thread writes the dead one's figure plus its own from its first 250 ms tick.
    await waitFor(() => cpu() > cpuBefore, 5000, 'the new thread’s CPU time adds to the dead one’s');
    assert.ok(peerClosed(), 'the dead thread’s peer handles are closed');
    await assert.rejects(peer.answer('v=0', '127.0.0.1'), /closed/);
    assert.equal(relay.shardStats()[1]!.restarts, 1);
    await waitFor(async () => (await relay.query(1, 2)).member, 10_000, 'the new thread has the member again');
    assert.deepEqual(await relay.query(0, 1), { member: true, peerOpen: false }, 'the other shard never noticed');
  } finally {
    await relay.close();
  }
  assert.equal(relay.runningThreads, 0);
});

test('a thread whose event loop hangs is ended by the watchdog and started again; the others are left alone', async () => {
  const shared = new SharedArrayBuffer(16);
  const relay = withPreload(SPIN_SHARD_1, shared, { stallMs: 3000 });
  await relay.start();
  try {
    const { restarted, peerClosed } = awaitRestart(relay);
    assert.deepEqual(await restarted, [1, [2]]);
    // Its last heartbeat came at most one period (250 ms) before the spin began.
    const since = Date.now() - spunAt(shared);
    assert.ok(since >= 3000 - 250, `not before the stall limit (${since} ms after the spin began)`);
    assert.ok(peerClosed(), 'the hung thread’s peer handles are closed');
    await waitFor(async () => (await relay.query(1, 2)).member, 10_000, 'the new thread has the member again');
    assert.deepEqual(relay.shardStats().map((x) => x.restarts), [0, 1]);
    // The new thread's heartbeat moves: it is not ended again, over more than a stall limit.
    await new Promise((r) => setTimeout(r, 4000));
    assert.deepEqual(relay.shardStats().map((x) => x.restarts), [0, 1], 'a turning loop is never judged hung');
    assert.deepEqual(await relay.query(0, 1), { member: true, peerOpen: false });
  } finally {
    await relay.close();
  }
  assert.equal(relay.runningThreads, 0);
});

test('a watchdog round that comes late (the whole process was stopped) judges nobody: a hung shard is ended a full stall limit after it', async () => {
  // Half a second into shard 1's spin the watchdog's clock jumps a minute ahead, as it does for a process
  // that was stopped (suspend, a debugger) and resumed.
  const shared = new SharedArrayBuffer(16);
  let offsetMs = 0;
  const relay = withPreload(SPIN_SHARD_1, shared, { stallMs: 3000, watchdogClock: () => performance.now() + offsetMs });
  await relay.start();
  try {
    const { restarted } = awaitRestart(relay);
    await waitFor(() => spunAt(shared) > 0, 5000, 'shard 1 spinning');
    await new Promise((r) => setTimeout(r, 500));
    offsetMs = 60_000;
    const jumpedAt = performance.now();
    assert.deepEqual(await restarted, [1, [2]]);
    const elapsed = performance.now() - jumpedAt;
    // Judged by the late round, it would go at that round (within 750 ms): its heartbeat stood still for "a minute".
    assert.ok(elapsed >= 3000 - 100, `ended ${Math.round(elapsed)} ms after the late round, not a stall limit (3 s) after it`);
    assert.deepEqual(relay.shardStats().map((x) => x.restarts), [0, 1]);
  } finally {
    await relay.close();
  }
  assert.equal(relay.runningThreads, 0);
});

test('a restarted thread that never becomes ready is ended after the stall limit and started again', async () => {
  // After shard 1 is terminated, its next thread hangs before it is ready (in the preload); the one after is well.
  const starts = new Int32Array(new SharedArrayBuffer(4));
  const relay = withPreload('import { workerData } from "node:worker_threads"; export default (n) => { if (workerData.index === 1 && Atomics.add(n, 0, 1) === 1) for (;;); }', starts, { stallMs: 3000 });
  await relay.start();
  try {
    relay.setMember(1, state(10));
    relay.setMember(2, state(20));
    assert.equal(relay.shardOf(2), 1);
    await relay.terminateShard(1);
    await waitFor(() => starts[0]! >= 3, 15_000, 'a third thread was started for shard 1');
    await waitFor(async () => (await relay.query(1, 2).catch(() => ({ member: false }))).member, 10_000, 'the third thread serves the member');
    assert.equal(relay.shardStats()[1]!.restarts, 2, 'the crash, then the thread that never became ready');
  } finally {
    await relay.close();
  }
  assert.equal(relay.runningThreads, 0);
});

test('an unawaited rejection inside a shard (as werift leaves them) is contained and counted, not fatal', async () => {
  const relay = withPreload('export default () => setTimeout(() => Promise.reject(new Error("as werift does")), 20)');
  await relay.start();
  try {
    await waitFor(() => relay.unhandledRejections === 2, 10_000, 'one rejection counted per shard');
    relay.setMember(1, state(10));
    assert.deepEqual(await relay.query(0, 1), { member: true, peerOpen: false }, 'the shard lives on');
    assert.deepEqual(relay.shardStats().map((x) => x.restarts), [0, 0]);
  } finally {
    await relay.close();
  }
});

test('a shard that cannot start fails start() whole, naming it, and leaves no thread', async () => {
  const relay = withPreload('throw new Error("no shard today")');
  await assert.rejects(relay.start(), /relay shard \d failed to start .*no shard today/);
  assert.equal(relay.runningThreads, 0);
});

test('a port range narrower than the threads, no threads, or a watchdog limit too short is refused', () => {
  assert.throws(() => new RelayShards({ threads: 3, peer: { ...PEER, portRange: [40000, 40001] }, logLevel: 'error' }), TypeError);
  assert.throws(() => new RelayShards({ threads: 0, peer: PEER, logLevel: 'error' }), TypeError);
  // The watchdog's limit must leave room for a few heartbeats.
  assert.throws(() => new RelayShards({ threads: 1, peer: PEER, logLevel: 'error', stallMs: 500 }), /stallMs must be at least 1000/);
  assert.throws(() => new RelayShards({ threads: 1, peer: PEER, logLevel: 'error', stallMs: Number.NaN }), TypeError);
});
