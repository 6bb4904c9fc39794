/**
 * The relay sharded over two worker threads (VOICE_RELAY_THREADS=2, forced so
 * this runs the same on any machine), over real WebRTC on loopback: channels
 * on different shards each relay their own voice byte-exact; a whisper from
 * one shard to the other arrives byte-exact and counts once; a deaf target on
 * the other shard counts no-target; a move to a channel on the other shard
 * makes the client renegotiate (rtc-renew) onto a peer in the new shard while
 * the old shard forgets the member, and a move within a shard changes nothing
 * on the voice lane; a shard whose thread dies is restarted, the server stays
 * up and its sessions renegotiate onto the new thread; a deleted channel's
 * members go to the root's shard the same way as a move.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  accountEnv,
  apiClient,
  apiLogin,
  joinChannel,
  recordDatagrams,
  sleep,
  hex,
  waitFor,
  waitVoiceOpen,
  startTestServer,
  TEST_ADMIN_PASSWORD,
  type TestServer,
} from './harness.ts';
import { encodeVoiceDatagram } from '../../shared/voice/voice-header.ts';
import { statsSchema } from '../../shared/admin/api.ts';
import type { VoiceSession } from '../../client/net/voice-session.ts';
import type { RelayCounters } from '../../server/relay/voice-relay.ts';

const LOBBY = 1; // the root, seeded by migrations/0002_seed_channels.sql
const GAMING = 2;
const MUSIC = 3;

let t: TestServer;
let asAdmin: ReturnType<typeof apiClient>;
let a: VoiceSession; // Lobby
let b: VoiceSession; // Lobby, later Gaming
let c: VoiceSession; // Gaming
let d: VoiceSession; // Gaming
/** rtc-renew reasons each client was sent. */
const renews = new Map<VoiceSession, string[]>();
const renewsOf = (s: VoiceSession): string[] => renews.get(s)!;

before(async () => {
  t = await startTestServer(accountEnv({ VOICE_RELAY_THREADS: '2' }));
  asAdmin = apiClient(t.server.url, (await apiLogin(t.server.url, 'admin', TEST_ADMIN_PASSWORD)).token);
  const connect = async (name: string): Promise<VoiceSession> => {
    const s = await t.client(name);
    const list: string[] = [];
    renews.set(s, list);
    s.on('message', (m) => {
      if (m.type === 'rtc-renew') list.push(m.reason);
    });
    return s;
  };
  a = await connect('ann');
  b = await connect('ben');
  c = await connect('cid');
  d = await connect('dot');
});
after(async () => {
  await t.close();
});

/** A header timestamp that follows real time (48 samples per ms), as a capturing client's does. */
const clockSamples = (): number => Math.round(performance.now() * 48) >>> 0;

const relay = () => t.server.relay;
const shardOfSession = (s: VoiceSession): number | null => relay().shardOf(s.sessionToken);
const peerOf = (s: VoiceSession) => t.server.sessions.get(s.sessionToken)?.peer ?? null;

/** Both ends of the sessions' voice lanes are open: the client's DataChannel and the server's peer (whose shard bound the sink). */
async function voiceReady(...sessions: VoiceSession[]): Promise<void> {
  for (const s of sessions) await waitVoiceOpen(t, s, 15_000);
}

/** `from` talks n frames; each of `to` hears exactly those bytes, in order; none of `others` hears anything. */
async function talk(from: VoiceSession, to: VoiceSession[], others: VoiceSession[] = [], n = 10): Promise<void> {
  const got = to.map(recordDatagrams);
  const leaked = others.map(recordDatagrams);
  const sent: string[] = [];
  for (let i = 0; i < n; i++) {
    const payload = new Uint8Array(20 + i).fill((from.sessionToken + i) & 0xff);
    const timestamp = clockSamples();
    sent.push(hex(encodeVoiceDatagram({ token: from.sessionToken, sequence: from.nextVoiceSequence, timestamp }, payload)));
    assert.ok(from.sendVoice(payload, { timestamp }), 'the sender’s lane is open');
    await sleep(15);
  }
  await waitFor(() => got.every((g) => g.length >= n), 5000, `${to.length} receiver(s) hear ${n} frames`);
  await sleep(150);
  for (const g of got) assert.deepEqual(g.map(hex), sent, 'byte-exact, in order, once');
  for (const l of leaked) assert.equal(l.length, 0, 'nobody else hears it');
}

function dropsTotal(c: RelayCounters): number {
  return Object.values(c.drops).reduce((x, y) => x + y, 0);
}

test('two channels land on different shards, each with its members’ peers, and each relays its own voice byte-exact', async () => {
  assert.equal(relay().threads, 2);
  assert.equal(relay().shardOfChannel(LOBBY), 0, 'the first channel with members goes to shard 0');
  await joinChannel(c, GAMING);
  await joinChannel(d, GAMING);
  assert.equal(relay().shardOfChannel(GAMING), 1, 'the next empty channel goes to the emptier shard');
  assert.deepEqual([a, b, c, d].map(shardOfSession), [0, 0, 1, 1]);
  await voiceReady(a, b, c, d);
  assert.deepEqual([a, b, c, d].map((s) => peerOf(s)?.shard), [0, 0, 1, 1], 'each session’s peer connection lives in its channel’s shard');
  assert.deepEqual(renewsOf(c), ['moved'], 'leaving the root’s shard renegotiated the voice lane');
  assert.deepEqual(renewsOf(a), [], 'nobody else was asked to');

  const before = relay().shardStats();
  await talk(a, [b], [c, d]);
  await talk(c, [d], [a, b]);
  await talk(d, [c], [a, b]);
  await talk(b, [a], [c, d]);
  const after = relay().shardStats();
  assert.equal(after[0]!.forwarded - before[0]!.forwarded, 20, 'shard 0 forwarded the Lobby’s frames');
  assert.equal(after[1]!.forwarded - before[1]!.forwarded, 20, 'shard 1 forwarded Gaming’s');
  assert.deepEqual(after.map((s) => [s.members, s.channels, s.peers]), [[2, 1, 2], [2, 1, 2]]);
  assert.deepEqual(after.map((s, i) => [s.whispersOut - before[i]!.whispersOut, s.whispersIn - before[i]!.whispersIn]), [[0, 0], [0, 0]],
    'channel voice never crossed between the shards');
  // Each thread's CPU time and wait for a CPU (Linux), as the admin panel reads them: counted by the thread
  // itself every 250 ms, so they grow while it works; neither is in overload mode.
  await waitFor(() => relay().shardStats().every((s, i) => s.cpuMs! > before[i]!.cpuMs!), 2000, 'each thread’s CPU time grew');
  for (const s of relay().shardStats()) {
    assert.ok(s.cpuMs! > 0 && s.cpuMs! < process.uptime() * 1000, `shard ${s.index} cpuMs ${s.cpuMs}`);
    if (process.platform === 'linux') assert.ok(s.cpuWaitMs !== null && s.cpuWaitMs >= 0, `shard ${s.index} cpuWaitMs ${s.cpuWaitMs}`);
    assert.equal(s.overloaded, false);
  }
});

test('a whisper from a member of shard 0 to one of shard 1 arrives byte-exact and is counted once', async () => {
  const got = [a, b, c, d].map(recordDatagrams);
  const c0 = relay().counters;
  const s0 = relay().shardStats();
  const payload = new Uint8Array([9, 8, 7, 6, 5, 4]);
  const timestamp = clockSamples();
  const datagram = encodeVoiceDatagram({ token: a.sessionToken, sequence: a.nextVoiceSequence, timestamp, target: c.sessionToken }, payload);
  assert.ok(a.sendVoice(payload, { timestamp, target: c.sessionToken }));
  await waitFor(() => got[2]!.length === 1, 5000, 'c hears the whisper');
  await sleep(200);
  assert.equal(hex(got[2]![0]!), hex(datagram), 'byte-exact');
  assert.deepEqual(got.map((g) => g.length), [0, 0, 1, 0], 'only its target hears it');
  const c1 = relay().counters;
  const s1 = relay().shardStats();
  assert.equal(c1.datagramsIn - c0.datagramsIn, 1, 'one datagram in, at the sender’s shard');
  assert.equal(c1.bytesIn - c0.bytesIn, datagram.length);
  assert.equal(c1.forwarded - c0.forwarded, 1, 'one copy out, at the target’s shard');
  assert.equal(c1.bytesOut - c0.bytesOut, datagram.length);
  assert.equal(dropsTotal(c1), dropsTotal(c0), 'no drop');
  assert.deepEqual([s1[0]!.datagramsIn - s0[0]!.datagramsIn, s1[1]!.datagramsIn - s0[1]!.datagramsIn], [1, 0]);
  assert.deepEqual([s1[0]!.forwarded - s0[0]!.forwarded, s1[1]!.forwarded - s0[1]!.forwarded], [0, 1]);
  assert.deepEqual([s1[0]!.whispersOut - s0[0]!.whispersOut, s1[1]!.whispersIn - s0[1]!.whispersIn], [1, 1], 'handed from shard 0 to shard 1');
});

test('a whisper to a deaf member of the other shard counts no-target there, once', async () => {
  c.setSelf(false, true);
  await waitFor(() => t.server.sessions.get(c.sessionToken)?.selfDeaf === true, 5000, 'the server has c deaf');
  const gotC = recordDatagrams(c);
  const c0 = relay().counters;
  const s0 = relay().shardStats();
  assert.ok(a.sendVoice(new Uint8Array([1, 2, 3]), { timestamp: clockSamples(), target: c.sessionToken }));
  await waitFor(() => relay().counters.drops['no-target'] === c0.drops['no-target'] + 1, 5000, 'no-target counted');
  await sleep(200);
  const c1 = relay().counters;
  const s1 = relay().shardStats();
  assert.equal(gotC.length, 0, 'a deaf target hears nothing');
  assert.equal(c1.datagramsIn - c0.datagramsIn, 1);
  assert.equal(c1.forwarded - c0.forwarded, 0);
  assert.equal(dropsTotal(c1) - dropsTotal(c0), 1, 'one drop in all');
  assert.equal(s1[1]!.drops - s0[1]!.drops, 1, 'counted by the target’s shard');
  assert.equal(s1[1]!.whispersIn - s0[1]!.whispersIn, 1);
  c.setSelf(false, false);
  await waitFor(() => t.server.sessions.get(c.sessionToken)?.selfDeaf === false, 5000, 'c hears again');
});

test('a move to a channel on the other shard: rtc-renew, a new peer in the new shard, voice both ways, the old shard forgets the member', async () => {
  const token = b.sessionToken;
  const old = peerOf(b)!;
  assert.equal(old.shard, 0);
  const renewsBefore = renewsOf(b).length;
  await joinChannel(b, GAMING); // waits for the lane to reopen after the renewal
  assert.deepEqual(renewsOf(b).slice(renewsBefore), ['moved']);
  assert.equal(old.isOpen, false, 'the old peer is closed');
  await voiceReady(b);
  const peer = peerOf(b)!;
  assert.notEqual(peer, old);
  assert.equal(peer.shard, 1, 'the new peer is in the new channel’s shard');
  assert.equal(shardOfSession(b), 1);
  assert.deepEqual(await relay().query(0, token), { member: false, peerOpen: false }, 'shard 0’s own relay has forgotten b');
  assert.deepEqual(await relay().query(1, token), { member: true, peerOpen: true }, 'shard 1’s relay has b, with its open lane');
  assert.ok(relay().channelTokens(GAMING).includes(token));
  assert.ok(!relay().channelTokens(LOBBY).includes(token));
  await talk(b, [c, d], [a]);
  await talk(c, [b, d], [a]);
});

test('a move within a shard changes nothing on the voice lane', async () => {
  // ann is alone on shard 0: Music is empty, and shard 0 (without her: 0 members) is the least loaded, and hers.
  const old = peerOf(a)!;
  const renewsBefore = renewsOf(a).length;
  await joinChannel(a, MUSIC);
  assert.equal(relay().shardOfChannel(MUSIC), 0);
  assert.equal(peerOf(a), old, 'the same peer connection');
  assert.ok(old.isOpen && a.voiceOpen);
  await sleep(200);
  assert.equal(renewsOf(a).length, renewsBefore, 'no rtc-renew');
  // The lane still carries voice: a whisper from shard 1 reaches her.
  const gotA = recordDatagrams(a);
  assert.ok(c.sendVoice(new Uint8Array([4, 4]), { timestamp: clockSamples(), target: a.sessionToken }));
  await waitFor(() => gotA.length === 1, 5000, 'a hears a whisper from shard 1 after her move');
});

test('a shard whose thread dies is restarted: the server stays up, its sessions renegotiate onto the new thread, voice flows', async () => {
  assert.equal(relay().shardOfChannel(GAMING), 1);
  const onShard1 = [b, c, d];
  const peersBefore = onShard1.map((s) => peerOf(s)!);
  const renewsBefore = onShard1.map((s) => renewsOf(s).length);
  const annRenews = renewsOf(a).length;
  const counters0 = relay().counters;
  const cpu0 = relay().shardStats()[1]!.cpuMs!;
  const stats0 = relay().shardStats();
  await relay().terminateShard(1);
  // A whisper to cid right after her shard's thread died: the new thread is linked at once (its messages wait
  // for it to run), so it is delivered or dropped there and counted either way — none handed over and lost.
  assert.ok(a.sendVoice(new Uint8Array([6]), { timestamp: clockSamples(), target: c.sessionToken }));
  await waitFor(() => dropsTotal(relay().counters) + relay().counters.forwarded === dropsTotal(counters0) + counters0.forwarded + 1, 5000, 'the whisper in the gap counted');
  const gap = relay().shardStats();
  assert.equal(gap[0]!.whispersOut - stats0[0]!.whispersOut, gap[1]!.whispersIn - stats0[1]!.whispersIn, 'every whisper handed over arrived');
  await waitFor(() => relay().shardStats()[1]!.restarts === 1, 5000, 'shard 1 restarted');
  for (const p of peersBefore) assert.equal(p.isOpen, false, 'the dead thread’s peers are closed');
  const health = await fetch(`${t.server.url}/health`);
  assert.equal(health.status, 200, 'the server is up');
  await waitFor(
    () => onShard1.every((s, i) => renewsOf(s).length === renewsBefore[i]! + 1),
    5000,
    'every session of the shard is asked for a new offer',
  );
  assert.deepEqual(renewsOf(c)!.at(-1), 'relay-restart');
  assert.equal(renewsOf(a).length, annRenews, 'ann (shard 0) was not');
  await voiceReady(...onShard1);
  for (const s of onShard1) assert.equal(peerOf(s)!.shard, 1);
  assert.deepEqual(await relay().query(1, c.sessionToken), { member: true, peerOpen: true }, 'the new thread has the members again');
  await talk(c, [b, d], [a]);
  // Whispers cross between the new thread and shard 0 both ways.
  const gotA = recordDatagrams(a);
  const gotC = recordDatagrams(c);
  assert.ok(b.sendVoice(new Uint8Array([7]), { timestamp: clockSamples(), target: a.sessionToken }));
  assert.ok(a.sendVoice(new Uint8Array([8]), { timestamp: clockSamples(), target: c.sessionToken }));
  await waitFor(() => gotA.length === 1 && gotC.length === 1, 5000, 'whispers between the shards after the restart');
  const counters1 = relay().counters;
  assert.ok(counters1.datagramsIn >= counters0.datagramsIn + 12 && counters1.forwarded >= counters0.forwarded + 22, 'the counters carried on from where the dead thread left them');
  const stats = statsSchema.parse(t.server.stats());
  assert.equal(stats.shards.length, 2);
  assert.equal(stats.shards[1]!.restarts, 1);
  assert.equal(stats.relay.forwarded, counters1.forwarded);
  assert.ok(stats.shards[1]!.cpuMs! > cpu0, 'the new thread’s CPU time adds to the dead one’s');
});

test('a deleted channel’s members go to the root the same way: to the root’s shard, renegotiating, and voice flows', async () => {
  await joinChannel(a, LOBBY); // the Lobby is empty: placed again, on ann's own shard 0 (without her it has nobody)
  assert.equal(relay().shardOfChannel(LOBBY), 0);
  assert.equal(relay().shardOfChannel(GAMING), 1);
  const moved = [b, c, d];
  await voiceReady(a, ...moved);
  const old = moved.map((s) => peerOf(s)!);
  const renewsBefore = moved.map((s) => renewsOf(s).length);
  const r = await asAdmin('DELETE', `/api/channels/${GAMING}`);
  assert.equal(r.status, 204, r.text);
  await waitFor(() => moved.every((s) => s.channelId === LOBBY), 5000, 'Gaming’s members are moved to the root');
  await waitFor(() => moved.every((s, i) => renewsOf(s).length === renewsBefore[i]! + 1), 5000, 'each is asked for a new offer');
  for (const s of moved) assert.equal(renewsOf(s).at(-1), 'moved');
  for (const p of old) assert.equal(p.isOpen, false, 'their shard-1 peers are closed');
  await voiceReady(...moved);
  for (const s of moved) {
    assert.equal(peerOf(s)!.shard, 0);
    assert.deepEqual(await relay().query(1, s.sessionToken), { member: false, peerOpen: false }, 'shard 1 has forgotten them');
  }
  assert.equal(relay().shardOfChannel(GAMING), null);
  assert.deepEqual(relay().shardStats().map((x) => x.members), [4, 0]);
  await talk(a, [b, c, d]);
  await talk(d, [a, b, c]);
});
