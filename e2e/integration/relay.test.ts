/**
 * The relay over real WebRTC on loopback: routing, whisper, and every way a
 * datagram can be refused, counted by reason. Also chat scoping and ChannelConfig.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, recordDatagrams, joinChannel, waitFor, sleep, hex, withTimeout, type TestServer } from './harness.ts';
import { encodeVoiceDatagram } from '../../shared/voice/voice-header.ts';
import { MAX_DATAGRAM_BYTES } from '../../shared/voice/constants.ts';
import type { VoiceSession } from '../../client/net/voice-session.ts';
import type { DropReason } from '../../server/relay/voice-relay.ts';
import type { ServerMessageOf } from '../../shared/control/protocol.ts';

let t: TestServer;
let a: VoiceSession;
let b: VoiceSession;
let c: VoiceSession;

before(async () => {
  t = await startTestServer();
  a = await t.client('alice');
  b = await t.client('bob');
  c = await t.client('carol');
});
after(async () => {
  await t.close();
});

const drops = (reason: DropReason): number => t.server.relay.counters.drops[reason];

/** A header timestamp that follows real time (48 samples per ms), as a capturing client's does. */
const clockSamples = (): number => Math.round(performance.now() * 48) >>> 0;

test('welcome carries the channel tree with each ChannelConfig; everyone starts in the root channel', () => {
  const lobby = a.roster.channels.get(a.channelId);
  assert.equal(lobby?.name, 'Lobby');
  assert.equal(lobby?.parentId, null);
  assert.deepEqual(lobby?.config, { bitrate: 16000, frameSamples: 960 });
  const music = [...a.roster.channels.values()].find((ch) => ch.name === 'Music');
  assert.deepEqual(music?.config, { bitrate: 96000, frameSamples: 960 });
  assert.equal(b.channelId, a.channelId);
  assert.equal(a.channelConfig?.bitrate, 16000);
  assert.deepEqual(new Set(a.roster.users.keys()), new Set([a.sessionToken, b.sessionToken, c.sessionToken]));
});

test('two clients in one channel receive each other byte-exact; a third elsewhere receives nothing', async () => {
  await joinChannel(c, 3);
  assert.equal(c.channelConfig?.bitrate, 96000, 'the new channel config is known after the move');
  await waitFor(() => a.roster.users.get(c.sessionToken)?.channelId === 3, 2000, 'a sees c move');
  const gotA = recordDatagrams(a);
  const gotB = recordDatagrams(b);
  const gotC = recordDatagrams(c);
  const fromA: string[] = [];
  const fromB: string[] = [];
  for (let i = 0; i < 25; i++) {
    const pa = new Uint8Array(40 + i).fill(i);
    const pb = new Uint8Array(60).fill(200 - i);
    const ts = clockSamples();
    fromA.push(hex(encodeVoiceDatagram({ token: a.sessionToken, sequence: a.nextVoiceSequence, timestamp: ts }, pa)));
    fromB.push(hex(encodeVoiceDatagram({ token: b.sessionToken, sequence: b.nextVoiceSequence, timestamp: ts }, pb)));
    assert.ok(a.sendVoice(pa, { timestamp: ts }));
    assert.ok(b.sendVoice(pb, { timestamp: ts }));
    await sleep(10);
  }
  await waitFor(() => gotA.length >= 25 && gotB.length >= 25, 5000, 'both sides receive 25');
  await sleep(150);
  assert.deepEqual(gotB.map(hex), fromA, 'b gets a\'s datagrams, byte-exact and in order on a clean link');
  assert.deepEqual(gotA.map(hex), fromB);
  assert.equal(gotC.length, 0, 'a client in another channel hears nothing');
});

test('a whisper reaches only its target, across channels', async () => {
  const gotA = recordDatagrams(a);
  const gotB = recordDatagrams(b);
  const gotC = recordDatagrams(c);
  const payload = new Uint8Array([1, 2, 3, 4, 5]);
  const ts = clockSamples();
  const expected = hex(encodeVoiceDatagram({ token: a.sessionToken, sequence: a.nextVoiceSequence, timestamp: ts, target: c.sessionToken }, payload));
  assert.ok(a.sendVoice(payload, { timestamp: ts, target: c.sessionToken }));
  await waitFor(() => gotC.length === 1, 3000, 'c gets the whisper');
  await sleep(150);
  assert.equal(hex(gotC[0]!), expected);
  assert.equal(gotB.length, 0, 'b, in a\'s channel, does not hear a whisper to c');
  assert.equal(gotA.length, 0);
  const before = drops('no-target');
  assert.ok(a.sendVoice(payload, { target: 0xdead_beef }));
  await waitFor(() => drops('no-target') === before + 1, 3000, 'whisper to nobody counted');
});

test('a datagram carrying someone else\'s token over one\'s own channel is dropped as forged', async () => {
  const gotA = recordDatagrams(a);
  const gotB = recordDatagrams(b);
  const before = drops('forged-token');
  // c is in Music; claiming a's token must not make c speak in a's channel (or anywhere).
  const forged = encodeVoiceDatagram({ token: a.sessionToken, sequence: 1_000_000, timestamp: 0 }, new Uint8Array(30));
  assert.ok(c.sendDatagram(forged));
  const forgedPing = encodeVoiceDatagram({ token: b.sessionToken, sequence: 5, timestamp: 0 }, new Uint8Array(0));
  assert.ok(c.sendDatagram(forgedPing));
  await waitFor(() => drops('forged-token') === before + 2, 3000, 'forged datagrams counted');
  await sleep(100);
  assert.equal(gotA.length + gotB.length, 0, 'nobody received a forged datagram');
});

test('malformed, oversize and replayed datagrams are dropped and counted; 0-byte is a keep-alive', async () => {
  const gotB = recordDatagrams(b);
  const malformed0 = drops('malformed');
  const oversize0 = drops('oversize');
  const replay0 = drops('replay');
  const keep0 = t.server.relay.counters.keepalives;
  a.sendDatagram(new Uint8Array(7)); // shorter than a header
  a.sendDatagram(encodeVoiceDatagram({ token: a.sessionToken, sequence: 1, timestamp: 0 }, new Uint8Array(0)).fill(0xff, 4, 8)); // reserved sequence bits
  const big = new Uint8Array(MAX_DATAGRAM_BYTES + 1);
  big.set(encodeVoiceDatagram({ token: a.sessionToken, sequence: 7, timestamp: 0 }, new Uint8Array(0)));
  a.sendDatagram(big);
  // Send one real frame, then replay its exact bytes twice.
  const ts = clockSamples();
  const once = encodeVoiceDatagram({ token: a.sessionToken, sequence: a.nextVoiceSequence, timestamp: ts }, new Uint8Array([9, 9, 9]));
  a.sendVoice(new Uint8Array([9, 9, 9]), { timestamp: ts });
  a.sendDatagram(once);
  a.sendDatagram(once);
  a.sendDatagram(new Uint8Array(0));
  await waitFor(
    () => drops('malformed') === malformed0 + 2 && drops('oversize') === oversize0 + 1 && drops('replay') === replay0 + 2,
    3000,
    'drops counted by reason',
  );
  await waitFor(() => t.server.relay.counters.keepalives === keep0 + 1, 3000, 'keep-alive counted');
  await sleep(100);
  assert.deepEqual(gotB.map(hex), [hex(once)], 'only the first copy of the valid datagram is forwarded');
});

test('a header-only ping is echoed to its sender only', async () => {
  const gotB = recordDatagrams(b);
  const rtts: number[] = [];
  a.on('udp-rtt', (ms) => rtts.push(ms));
  const echoed0 = t.server.relay.counters.pingsEchoed;
  assert.ok(a.pingVoice());
  assert.ok(a.pingVoice());
  await waitFor(() => rtts.length === 2, 3000, 'two ping echoes');
  assert.equal(t.server.relay.counters.pingsEchoed, echoed0 + 2);
  assert.ok(rtts.every((ms) => ms >= 0 && ms < 1000), `plausible RTTs: ${rtts.join(', ')}`);
  await sleep(100);
  assert.equal(gotB.length, 0, 'the other member never sees a ping');
});

test('chat reaches exactly the members of the sender\'s channel, with a server timestamp', async () => {
  const seen = new Map<VoiceSession, ServerMessageOf<'chat'>[]>();
  for (const s of [a, b, c]) {
    const list: ServerMessageOf<'chat'>[] = [];
    seen.set(s, list);
    s.on('message', (m) => {
      if (m.type === 'chat') list.push(m);
    });
  }
  const t0 = Date.now();
  a.sendChat('hello lobby');
  await waitFor(() => seen.get(a)!.length === 1 && seen.get(b)!.length === 1, 3000, 'a and b get the chat');
  await sleep(150);
  assert.equal(seen.get(c)!.length, 0, 'c in another channel gets nothing');
  const m = seen.get(b)![0]!;
  assert.equal(m.text, 'hello lobby');
  assert.deepEqual(m.sender, { sessionToken: a.sessionToken, nickname: 'alice' });
  assert.equal(m.channelId, a.channelId);
  assert.ok(m.serverTime >= t0 - 5 && m.serverTime <= Date.now() + 5);
});

test('chat over the length limit and chat floods are refused with a reason', async () => {
  const errors: ServerMessageOf<'error'>[] = [];
  const chats: ServerMessageOf<'chat'>[] = [];
  b.on('message', (m) => {
    if (m.type === 'error') errors.push(m);
    if (m.type === 'chat') chats.push(m);
  });
  b.sendChat('x'.repeat(2001));
  await waitFor(() => errors.length === 1, 3000, 'too-long chat refused');
  assert.equal(errors[0]!.code, 'bad-message');
  assert.match(errors[0]!.message, /text/);
  await sleep(1100); // let the chat bucket refill
  for (let i = 0; i < 8; i++) b.sendChat(`flood ${i}`);
  await waitFor(() => errors.length >= 1 + 3, 3000, 'rate limited');
  await sleep(200);
  const floods = chats.filter((m) => m.text.startsWith('flood'));
  assert.ok(floods.length >= 5 && floods.length <= 6, `the burst passes (${floods.length})`);
  assert.ok(errors.slice(1).every((e) => e.code === 'rate-limited'));
  assert.equal(b.state, 'connected', 'a few rate-limited messages do not end the session');
});

test('self-mute stops forwarding; deafen stops delivery', async () => {
  await joinChannel(c, a.channelId);
  const gotB = recordDatagrams(b);
  const gotC = recordDatagrams(c);
  const muted0 = drops('muted');
  a.setSelf(true, false);
  await waitFor(() => b.roster.users.get(a.sessionToken)?.selfMute === true, 3000, 'b sees a muted');
  a.sendVoice(new Uint8Array(20));
  await waitFor(() => drops('muted') === muted0 + 1, 3000, 'muted sender dropped');
  a.setSelf(false, false);
  c.setSelf(false, true);
  await waitFor(() => a.roster.users.get(c.sessionToken)?.selfDeaf === true, 3000, 'a sees c deaf');
  await sleep(1100);
  a.sendVoice(new Uint8Array(21));
  await waitFor(() => gotB.length === 1, 3000, 'b hears a again');
  await sleep(150);
  assert.equal(gotC.length, 0, 'deaf c hears nothing');
  c.setSelf(false, false);
});

test('a join to a missing channel is denied with a reason', async () => {
  const denied = new Promise<ServerMessageOf<'join-denied'>>((resolve) => {
    const off = a.on('message', (m) => {
      if (m.type === 'join-denied') {
        off();
        resolve(m);
      }
    });
  });
  await sleep(1100);
  a.join(9999);
  const m = await withTimeout(denied, 3000, 'join-denied');
  assert.equal(m.reason, 'no-such-channel');
  assert.equal(m.channelId, 9999);
});
