/**
 * The relay hot path, driven directly: fake sinks, datagrams from
 * encodeVoiceDatagram, and time as an argument. Routing (channel fan-out,
 * whisper, ping echo), every drop reason, the sender and receiver limits,
 * membership changes, and exact counters — also when they live in a caller's
 * (shared) array, and for a whisper handed from one relay to another as
 * between relay shards.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STALE_MS } from './relay-limits.ts';
import { VoiceRelay, DROP_REASONS, RELAY_COUNTER_SLOTS, readRelayCounters, type DropReason, type RelayCounters, type VoiceSink } from './voice-relay.ts';
import {
  BITRATE_HEADROOM,
  BURST_SECONDS,
  PING_BURST,
  PING_RATE_PER_SECOND,
  RATE_HEADROOM,
  RECEIVER_QUEUE_MS,
  receiverQueueFloorBytes,
  senderLimitsFor,
} from './relay-limits.ts';
import { encodeVoiceDatagram } from '../../shared/voice/voice-header.ts';
import { MAX_DATAGRAM_BYTES } from '../../shared/voice/constants.ts';
import type { ChannelConfig } from '../../shared/control/protocol.ts';

interface FakeSink extends VoiceSink {
  sent: Uint8Array[];
  queued: number;
}

function fakeSink(): FakeSink {
  return {
    sent: [],
    queued: 0,
    send(b: Uint8Array) {
      this.sent.push(b);
    },
    queuedBytes() {
      return this.queued;
    },
  };
}

const LOW: ChannelConfig = { bitrate: 16_000, frameSamples: 960 };
const HIGH: ChannelConfig = { bitrate: 96_000, frameSamples: 960 };

const A = 0x0a0a_0a0a;
const B = 0x0b0b_0b0b;
const C = 0x0c0c_0c0c;
const D = 0x0d0d_0d0d;
const E = 0x0e0e_0e0e;
const UNKNOWN = 0x7777_7777;

interface JoinOptions {
  config?: ChannelConfig;
  selfMute?: boolean;
  selfDeaf?: boolean;
  nowMs?: number;
}

/** Adds a member with a fresh fake sink. */
function join(relay: VoiceRelay, token: number, channelId: number, o: JoinOptions = {}): FakeSink {
  relay.setMember(
    token,
    { channelId, config: o.config ?? HIGH, selfMute: o.selfMute ?? false, selfDeaf: o.selfDeaf ?? false },
    o.nowMs ?? 0,
  );
  const sink = fakeSink();
  relay.setSink(token, sink);
  return sink;
}

/** A voice datagram of `total` bytes (header included) from `token`. */
function voice(token: number, sequence: number, total = 19): Uint8Array {
  return encodeVoiceDatagram({ token, sequence, timestamp: sequence * 960 }, new Uint8Array(total - 16).fill(0xf8));
}

function whisper(token: number, sequence: number, target: number, payloadBytes = 3): Uint8Array {
  return encodeVoiceDatagram({ token, sequence, timestamp: sequence * 960, target }, new Uint8Array(payloadBytes).fill(0xf8));
}

function ping(token: number, sequence = 0): Uint8Array {
  return encodeVoiceDatagram({ token, sequence, timestamp: 0 }, new Uint8Array(0));
}

/** A deep copy of the counters, for exact comparisons. */
function snapshot(relay: VoiceRelay): RelayCounters {
  return structuredClone(relay.counters) as RelayCounters;
}

function drops(partial: Partial<Record<DropReason, number>> = {}): Record<DropReason, number> {
  const all = {} as Record<DropReason, number>;
  for (const r of DROP_REASONS) all[r] = partial[r] ?? 0;
  return all;
}

function totalDrops(relay: VoiceRelay): number {
  return DROP_REASONS.reduce((n, r) => n + relay.counters.drops[r], 0);
}

describe('relay limits', () => {
  test('constants', () => {
    assert.equal(RATE_HEADROOM, 1.5);
    assert.equal(BITRATE_HEADROOM, 2);
    assert.equal(BURST_SECONDS, 0.25);
    assert.equal(PING_RATE_PER_SECOND, 4);
    assert.equal(PING_BURST, 8);
    assert.equal(RECEIVER_QUEUE_MS, 100);
  });

  test('senderLimitsFor 16 kbps / 960', () => {
    // 50 frames/s * 1.5 = 75 packets/s; 2000 B/s * 2 + 75 * 20 B overhead = 5500 B/s
    assert.deepEqual(senderLimitsFor(LOW), { packetsPerSecond: 75, packetBurst: 19, bytesPerSecond: 5500, byteBurst: 1375 });
  });

  test('senderLimitsFor 96 kbps / 960', () => {
    // 12000 B/s * 2 + 1500 = 25500 B/s; a quarter second of it is 6375
    assert.deepEqual(senderLimitsFor(HIGH), { packetsPerSecond: 75, packetBurst: 19, bytesPerSecond: 25500, byteBurst: 6375 });
  });

  test('senderLimitsFor matches the table in docs/protocol.md §3.2', () => {
    const rows: [ChannelConfig, number, number, number, number][] = [
      [{ bitrate: 16_000, frameSamples: 960 }, 75, 19, 5500, 1375],
      [{ bitrate: 24_000, frameSamples: 960 }, 75, 19, 7500, 1875],
      [{ bitrate: 96_000, frameSamples: 960 }, 75, 19, 25_500, 6375],
      [{ bitrate: 16_000, frameSamples: 480 }, 150, 38, 7000, 1750],
      [{ bitrate: 16_000, frameSamples: 2880 }, 25, 7, 4500, 1125],
    ];
    for (const [config, packetsPerSecond, packetBurst, bytesPerSecond, byteBurst] of rows) {
      assert.deepEqual(senderLimitsFor(config), { packetsPerSecond, packetBurst, bytesPerSecond, byteBurst }, JSON.stringify(config));
    }
  });

  test('receiverQueueFloorBytes 16 kbps / 960 and 96 kbps / 960', () => {
    // ceil(2000 B/s * 0.1 s * 1.25) + 5 frames * 16 = 250 + 80
    assert.equal(receiverQueueFloorBytes(LOW), 330);
    // ceil(12000 B/s * 0.1 s * 1.25) + 5 frames * 16 = 1500 + 80
    assert.equal(receiverQueueFloorBytes(HIGH), 1580);
  });
});

describe('VoiceRelay routing', () => {
  test('fans out to every other member of the channel with the same bytes object', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1);
    const b = join(relay, B, 1);
    const c = join(relay, C, 1);
    const d = join(relay, D, 2); // another channel
    const e = join(relay, E, 1, { selfDeaf: true }); // deaf member of the channel
    const bytes = voice(A, 0);
    assert.equal(relay.receive(A, bytes, 0), null);
    assert.equal(b.sent.length, 1);
    assert.equal(b.sent[0], bytes, 'the very same Uint8Array, not a copy');
    assert.equal(c.sent.length, 1);
    assert.equal(c.sent[0], bytes);
    assert.equal(a.sent.length, 0, 'not echoed to the sender');
    assert.equal(d.sent.length, 0, 'not to another channel');
    assert.equal(e.sent.length, 0, 'not to a deaf member');
    assert.deepEqual(snapshot(relay), {
      datagramsIn: 1,
      bytesIn: 19,
      forwarded: 2,
      bytesOut: 38,
      keepalives: 0,
      pingsEchoed: 0,
      drops: drops(),
    });
  });

  test('a member without a sink is skipped; nobody left to hear is no-receiver', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    relay.setSink(B, null);
    assert.equal(relay.receive(A, voice(A, 0), 0), 'no-receiver');
    relay.setSink(B, b);
    assert.equal(relay.receive(A, voice(A, 1), 0), null);
    assert.equal(b.sent.length, 1);
  });

  test('alone in the channel, or only with deaf members: no-receiver', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    join(relay, D, 2);
    assert.equal(relay.receive(A, voice(A, 0), 0), 'no-receiver');
    join(relay, B, 1, { selfDeaf: true });
    assert.equal(relay.receive(A, voice(A, 1), 0), 'no-receiver');
    assert.equal(relay.counters.drops['no-receiver'], 2);
    assert.equal(relay.counters.forwarded, 0);
  });

  test('a datagram on the channel of an unknown session is no-session', () => {
    const relay = new VoiceRelay();
    const b = join(relay, B, 1);
    assert.equal(relay.receive(UNKNOWN, voice(UNKNOWN, 0), 0), 'no-session');
    assert.equal(b.sent.length, 0);
  });

  test('whisper goes only to its target, even in another channel', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1);
    const b = join(relay, B, 1);
    const d = join(relay, D, 2);
    const e = join(relay, E, 2);
    const w = whisper(A, 0, D);
    assert.equal(relay.receive(A, w, 0), null);
    assert.equal(d.sent.length, 1);
    assert.equal(d.sent[0], w);
    assert.equal(a.sent.length + b.sent.length + e.sent.length, 0);
    const w2 = whisper(A, 1, B);
    assert.equal(relay.receive(A, w2, 0), null);
    assert.deepEqual(b.sent, [w2]);
    assert.equal(relay.counters.forwarded, 2);
    assert.equal(relay.counters.bytesOut, 46);
  });

  test('whisper to an unknown, deaf, sinkless or self target is no-target', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1);
    const b = join(relay, B, 1, { selfDeaf: true });
    const c = join(relay, C, 1);
    relay.setSink(C, null);
    assert.equal(relay.receive(A, whisper(A, 0, UNKNOWN), 0), 'no-target');
    assert.equal(relay.receive(A, whisper(A, 1, B), 0), 'no-target');
    assert.equal(relay.receive(A, whisper(A, 2, C), 0), 'no-target');
    assert.equal(relay.receive(A, whisper(A, 3, A), 0), 'no-target');
    assert.equal(a.sent.length + b.sent.length + c.sent.length, 0);
    assert.equal(relay.counters.drops['no-target'], 4);
    assert.equal(relay.counters.forwarded, 0);
  });

  test('moving a member with setMember changes routing', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    const d = join(relay, D, 2);
    assert.deepEqual(relay.channelTokens(1), [A, B]);
    relay.setMember(B, { channelId: 2, config: HIGH, selfMute: false, selfDeaf: false }, 10);
    assert.deepEqual(relay.channelTokens(1), [A]);
    assert.deepEqual(relay.channelTokens(2), [D, B]);

    assert.equal(relay.receive(A, voice(A, 0), 10), 'no-receiver', 'A is now alone');
    assert.equal(b.sent.length, 0);
    const fromB = voice(B, 0);
    assert.equal(relay.receive(B, fromB, 10), null);
    assert.deepEqual(d.sent, [fromB]);
    const fromD = voice(D, 0);
    assert.equal(relay.receive(D, fromD, 10), null);
    assert.deepEqual(b.sent, [fromD], 'the sink binding survives the move');

    // and back again
    relay.setMember(B, { channelId: 1, config: HIGH, selfMute: false, selfDeaf: false }, 20);
    assert.deepEqual(relay.channelTokens(2), [D]);
    assert.deepEqual(relay.channelTokens(1), [A, B]);
    const fromA = voice(A, 1);
    assert.equal(relay.receive(A, fromA, 20), null);
    assert.deepEqual(b.sent, [fromD, fromA]);
    assert.equal(d.sent.length, 1);
  });

  test('setMember in the same channel updates mute/deaf without duplicating the member', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    relay.setMember(B, { channelId: 1, config: HIGH, selfMute: true, selfDeaf: true }, 0);
    assert.deepEqual(relay.channelTokens(1), [A, B]);
    assert.equal(relay.receive(A, voice(A, 0), 0), 'no-receiver', 'B is deaf now');
    relay.setMember(B, { channelId: 1, config: HIGH, selfMute: false, selfDeaf: false }, 0);
    assert.equal(relay.receive(A, voice(A, 1), 0), null);
    assert.equal(b.sent.length, 1, 'delivered exactly once');
  });

  test('removeMember stops routing both ways', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1);
    const b = join(relay, B, 1);
    const c = join(relay, C, 1);
    relay.removeMember(B);
    assert.equal(relay.hasMember(B), false);
    assert.equal(relay.hasMember(A), true);
    assert.deepEqual(relay.channelTokens(1), [A, C]);
    assert.equal(relay.receive(A, voice(A, 0), 0), null);
    assert.equal(b.sent.length, 0);
    assert.equal(c.sent.length, 1);
    assert.equal(relay.receive(B, voice(B, 0), 0), 'no-session', 'a removed session sends nothing');
    assert.equal(a.sent.length, 0);
    assert.equal(relay.receive(A, whisper(A, 1, B), 0), 'no-target');
    relay.removeMember(A);
    relay.removeMember(C);
    assert.deepEqual(relay.channelTokens(1), []);
    relay.removeMember(C); // unknown: no-op
    relay.setSink(C, fakeSink()); // unknown: ignored
    assert.equal(relay.hasMember(C), false);
  });

  test('a removed and re-added member starts with a fresh replay window', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    assert.equal(relay.receive(A, voice(A, 5), 0), null);
    relay.removeMember(A);
    join(relay, A, 1);
    assert.equal(relay.receive(A, voice(A, 5), 0), null);
    assert.equal(b.sent.length, 2);
  });
});

describe('VoiceRelay drops', () => {
  test('forged-token when the header token is not the bound session', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    const c = join(relay, C, 1);
    assert.equal(relay.receive(A, voice(B, 0), 0), 'forged-token');
    assert.equal(relay.receive(A, whisper(B, 1, C), 0), 'forged-token');
    assert.equal(relay.receive(A, ping(B), 0), 'forged-token');
    assert.equal(b.sent.length + c.sent.length, 0);
    assert.equal(relay.counters.drops['forged-token'], 3);
    // the forged datagrams did not touch A's replay window
    assert.equal(relay.receive(A, voice(A, 0), 0), null);
  });

  test('malformed: short, zero token, reserved sequence bits, whisper without target or payload', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    const cases: [string, Uint8Array][] = [];
    cases.push(['1 byte', new Uint8Array([1])]);
    cases.push(['15 bytes', voice(A, 0).subarray(0, 15)]);
    const zero = voice(A, 0).slice();
    zero.fill(0, 0, 4);
    cases.push(['token 0', zero]);
    const reserved = voice(A, 0).slice();
    reserved[5] = 0x20; // high word 0x00200000: bit 53
    cases.push(['reserved bit 53', reserved]);
    cases.push(['whisper without target', whisper(A, 0, B).subarray(0, 18)]);
    cases.push(['whisper without payload', whisper(A, 0, B).subarray(0, 20)]);
    const zeroTarget = whisper(A, 0, B).slice();
    zeroTarget.fill(0, 16, 20);
    cases.push(['whisper target 0', zeroTarget]);
    for (const [name, bytes] of cases) assert.equal(relay.receive(A, bytes, 0), 'malformed', name);
    assert.equal(b.sent.length, 0);
    assert.equal(relay.counters.drops.malformed, cases.length);
    assert.equal(relay.counters.datagramsIn, cases.length);
  });

  test('oversize: one byte over MAX_DATAGRAM_BYTES; exactly the maximum is forwarded', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    const max = voice(A, 0, MAX_DATAGRAM_BYTES);
    assert.equal(relay.receive(A, max, 0), null);
    const over = new Uint8Array(MAX_DATAGRAM_BYTES + 1);
    over.set(voice(A, 1));
    assert.equal(relay.receive(A, over, 0), 'oversize');
    assert.deepEqual(b.sent, [max]);
    assert.equal(relay.counters.drops.oversize, 1);
    assert.equal(relay.counters.bytesIn, MAX_DATAGRAM_BYTES * 2 + 1);
  });

  test('keep-alive: counted, not forwarded, not a drop', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1);
    const b = join(relay, B, 1);
    assert.equal(relay.receive(A, new Uint8Array(0), 0), null);
    assert.equal(relay.receive(A, new Uint8Array(0), 0), null);
    assert.equal(a.sent.length + b.sent.length, 0);
    assert.deepEqual(snapshot(relay), {
      datagramsIn: 2,
      bytesIn: 0,
      forwarded: 0,
      bytesOut: 0,
      keepalives: 2,
      pingsEchoed: 0,
      drops: drops(),
    });
  });

  test('ping: echoed to the sender only, same bytes, counted', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1);
    const b = join(relay, B, 1);
    const p = ping(A, 42);
    assert.equal(relay.receive(A, p, 0), null);
    assert.equal(a.sent.length, 1);
    assert.equal(a.sent[0], p, 'the very same Uint8Array');
    assert.equal(b.sent.length, 0);
    assert.deepEqual(snapshot(relay), {
      datagramsIn: 1,
      bytesIn: 16,
      forwarded: 0,
      bytesOut: 16,
      keepalives: 0,
      pingsEchoed: 1,
      drops: drops(),
    });
  });

  test('ping: no replay check, works while muted, alone, or deaf; no sink is no-receiver', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1, { selfMute: true, selfDeaf: true });
    const p = ping(A, 7);
    assert.equal(relay.receive(A, p, 0), null);
    assert.equal(relay.receive(A, p, 0), null, 'the same ping twice is not a replay');
    assert.equal(a.sent.length, 2);
    relay.setSink(A, null);
    assert.equal(relay.receive(A, p, 0), 'no-receiver');
    assert.equal(relay.counters.pingsEchoed, 2);
    // a ping's sequence does not enter the voice replay window
    relay.setSink(A, a);
    const b = join(relay, B, 1);
    relay.setMember(A, { channelId: 1, config: HIGH, selfMute: false, selfDeaf: false }, 0);
    assert.equal(relay.receive(A, voice(A, 7), 0), null);
    assert.equal(b.sent.length, 1);
  });

  test('ping rate limit: a burst of 8, then 4 per second, never more than the burst', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1, { nowMs: 1000 });
    const results: (DropReason | null)[] = [];
    for (let i = 0; i < 10; i++) results.push(relay.receive(A, ping(A), 1000));
    assert.deepEqual(results, [null, null, null, null, null, null, null, null, 'rate-limited', 'rate-limited']);
    assert.equal(relay.receive(A, ping(A), 1249), 'rate-limited', '0.996 of a token');
    assert.equal(relay.receive(A, ping(A), 1250), null, 'one token after 250 ms');
    assert.equal(relay.receive(A, ping(A), 1250), 'rate-limited');
    let passed = 0;
    for (let i = 0; i < 20; i++) if (relay.receive(A, ping(A), 60_000) === null) passed++;
    assert.equal(passed, PING_BURST);
    assert.equal(a.sent.length, 9 + PING_BURST);
    assert.equal(relay.counters.pingsEchoed, 9 + PING_BURST);
    assert.equal(relay.counters.drops['rate-limited'], 2 + 1 + 1 + 12);
  });

  test('ping limit and voice limits are separate allowances', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    for (let i = 0; i < PING_BURST; i++) assert.equal(relay.receive(A, ping(A), 0), null);
    assert.equal(relay.receive(A, ping(A), 0), 'rate-limited');
    assert.equal(relay.receive(A, voice(A, 0), 0), null, 'voice still flows');
    assert.equal(b.sent.length, 1);
  });

  test('replay: a duplicate is dropped; reordering inside the window is accepted once', () => {
    const relay = new VoiceRelay({ staleMs: Infinity }) // frames of many sequences at one instant: not paced;
    join(relay, A, 1);
    const b = join(relay, B, 1);
    const v5 = voice(A, 5);
    assert.equal(relay.receive(A, v5, 0), null);
    assert.equal(relay.receive(A, v5, 0), 'replay');
    assert.equal(relay.receive(A, voice(A, 3), 0), null);
    assert.equal(relay.receive(A, voice(A, 3), 0), 'replay');
    assert.equal(relay.receive(A, voice(A, 100), 0), null);
    assert.equal(relay.receive(A, voice(A, 37), 0), null, '63 behind the top: still in the window');
    assert.equal(relay.receive(A, voice(A, 37), 0), 'replay');
    assert.equal(relay.receive(A, voice(A, 36), 0), 'replay', '64 behind the top: too old');
    assert.equal(relay.receive(A, whisper(A, 100, B), 0), 'replay', 'whispers share the sender window');
    assert.equal(b.sent.length, 4);
    assert.equal(relay.counters.drops.replay, 5);
  });

  test('muted sender: dropped as muted until unmuted', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1, { selfMute: true });
    const b = join(relay, B, 1);
    assert.equal(relay.receive(A, voice(A, 0), 0), 'muted');
    assert.equal(relay.receive(A, whisper(A, 1, B), 0), 'muted');
    relay.setMember(A, { channelId: 1, config: HIGH, selfMute: false, selfDeaf: false }, 0);
    assert.equal(relay.receive(A, voice(A, 2), 0), null);
    assert.equal(b.sent.length, 1);
    assert.equal(relay.counters.drops.muted, 2);
  });

  test('a fresh sequence is recorded even when a later step drops the datagram', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1, { selfMute: true });
    const b = join(relay, B, 1);
    assert.equal(relay.receive(A, voice(A, 0), 0), 'muted');
    relay.setMember(A, { channelId: 1, config: HIGH, selfMute: false, selfDeaf: false }, 0);
    assert.equal(relay.receive(A, voice(A, 0), 0), 'replay', 'seq 0 was recorded while muted');
    assert.equal(relay.receive(A, voice(A, 1), 0), null);
    assert.equal(b.sent.length, 1);
  });

  test('the replay window survives channel moves and sink rebinding', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1);
    join(relay, B, 1);
    join(relay, D, 2);
    assert.equal(relay.receive(A, voice(A, 10), 0), null);
    relay.setMember(A, { channelId: 2, config: HIGH, selfMute: false, selfDeaf: false }, 0);
    assert.equal(relay.receive(A, voice(A, 10), 0), 'replay', 'after a move');
    relay.setSink(A, null);
    relay.setSink(A, a);
    assert.equal(relay.receive(A, voice(A, 10), 0), 'replay', 'after a new sink');
    assert.equal(relay.receive(A, voice(A, 11), 0), null);
  });
});

describe('VoiceRelay sender rate limits', () => {
  test('packet rate: 200 packets at one instant pass only the burst; time refills', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1, { nowMs: 5000 });
    const b = join(relay, B, 1, { nowMs: 5000 });
    const { packetBurst, packetsPerSecond } = senderLimitsFor(HIGH);
    let seq = 0;
    const burst = (nowMs: number, n: number): (DropReason | null)[] => {
      const out: (DropReason | null)[] = [];
      for (let i = 0; i < n; i++) out.push(relay.receive(A, voice(A, seq++), nowMs));
      return out;
    };
    const first = burst(5000, 200);
    assert.equal(packetBurst, 19);
    assert.deepEqual(first.slice(0, 19), Array(19).fill(null));
    assert.deepEqual(first.slice(19), Array(181).fill('rate-limited'));
    assert.equal(b.sent.length, 19);

    // 40 ms at 75 packets/s is exactly 3 packets
    assert.equal(packetsPerSecond, 75);
    assert.deepEqual(burst(5040, 5), [null, null, null, 'rate-limited', 'rate-limited']);
    // a long pause refills only up to the burst
    assert.equal(burst(65_000, 200).filter((r) => r === null).length, 19);
    assert.equal(b.sent.length, 19 + 3 + 19);
    assert.equal(relay.counters.drops['rate-limited'], 181 + 2 + 181);
    assert.equal(relay.counters.forwarded, 41);
  });

  test('packet rate: a sender at its nominal 50 packets/s is never limited; at 100/s it is held to 75/s', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    for (let i = 0; i < 500; i++) assert.equal(relay.receive(A, voice(A, i), i * 20), null, `packet ${i}`);
    assert.equal(b.sent.length, 500);

    const fast = new VoiceRelay();
    join(fast, A, 1);
    const fb = join(fast, B, 1);
    for (let i = 0; i <= 1000; i++) fast.receive(A, voice(A, i), i * 10); // 10 s at 100 packets/s
    // the burst plus 75/s over 10 s
    assert.equal(fb.sent.length, 19 + 750);
    assert.equal(fast.counters.drops['rate-limited'], 1001 - 769);
  });

  test('byte cap: big packets in a 16 kbps channel are rate-limited by bytes', () => {
    const relay = new VoiceRelay({ staleMs: Infinity }) // not paced;
    join(relay, A, 1, { config: LOW });
    const b = join(relay, B, 1, { config: LOW });
    const { byteBurst, bytesPerSecond, packetBurst } = senderLimitsFor(LOW);
    assert.equal(byteBurst, 1375);
    assert.equal(bytesPerSecond, 5500);
    // one maximal datagram fits the 1375-byte burst, the second does not (80 bytes left)
    assert.equal(relay.receive(A, voice(A, 0, MAX_DATAGRAM_BYTES), 0), null);
    assert.equal(relay.receive(A, voice(A, 1, MAX_DATAGRAM_BYTES), 0), 'rate-limited');
    // small packets still fit in what is left, well under the packet burst
    assert.equal(relay.receive(A, voice(A, 2, 80), 0), null);
    assert.equal(relay.receive(A, voice(A, 3, 19), 0), 'rate-limited', '0 bytes left');
    assert.ok(4 < packetBurst);
    // 1295 bytes at 5.5 bytes/ms take 235.45 ms to come back
    assert.equal(relay.receive(A, voice(A, 4, MAX_DATAGRAM_BYTES), 235), 'rate-limited');
    assert.equal(relay.receive(A, voice(A, 5, MAX_DATAGRAM_BYTES), 236), null);
    assert.equal(b.sent.length, 3);
    assert.equal(relay.counters.drops['rate-limited'], 3);

    // the same packets in a 96 kbps channel pass: 4 * 1295 < 6375
    const high = new VoiceRelay();
    join(high, A, 1, { config: HIGH });
    const hb = join(high, B, 1, { config: HIGH });
    for (let i = 0; i < 4; i++) assert.equal(high.receive(A, voice(A, i, MAX_DATAGRAM_BYTES), 0), null);
    assert.equal(high.receive(A, voice(A, 4, MAX_DATAGRAM_BYTES), 0), 'rate-limited');
    assert.equal(hb.sent.length, 4);
  });

  test('moving to another channel applies that channel’s limits', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1, { config: HIGH });
    join(relay, B, 2, { config: LOW });
    relay.setMember(A, { channelId: 2, config: LOW, selfMute: false, selfDeaf: false }, 0);
    assert.equal(relay.receive(A, voice(A, 0, MAX_DATAGRAM_BYTES), 0), null);
    assert.equal(relay.receive(A, voice(A, 1, MAX_DATAGRAM_BYTES), 0), 'rate-limited', 'the 16 kbps byte burst now');
  });

  test('an edit of the channel’s config applies its limits without a move; an unchanged config keeps the buckets', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1, { config: LOW });
    join(relay, B, 1, { config: LOW });
    assert.equal(relay.receive(A, voice(A, 0, MAX_DATAGRAM_BYTES), 0), null);
    assert.equal(relay.receive(A, voice(A, 1, MAX_DATAGRAM_BYTES), 0), 'rate-limited', 'the 16 kbps byte burst is spent');
    // A mute toggle re-pushes the same config: the spent allowance stays spent.
    relay.setMember(A, { channelId: 1, config: LOW, selfMute: false, selfDeaf: false }, 0);
    assert.equal(relay.receive(A, voice(A, 2, MAX_DATAGRAM_BYTES), 0), 'rate-limited');
    // The admin raises the channel to 96 kbps: the sender gets that channel's allowance at once.
    relay.setMember(A, { channelId: 1, config: HIGH, selfMute: false, selfDeaf: false }, 0);
    assert.equal(relay.receive(A, voice(A, 3, MAX_DATAGRAM_BYTES), 0), null);
    // 960 → 480 samples doubles the packet rate; 100 packets/s for 2 s must pass.
    const relay2 = new VoiceRelay();
    join(relay2, A, 1, { config: LOW });
    join(relay2, B, 1, { config: LOW });
    relay2.setMember(A, { channelId: 1, config: { bitrate: 16_000, frameSamples: 480 }, selfMute: false, selfDeaf: false }, 0);
    let limited = 0;
    for (let i = 0; i < 200; i++) if (relay2.receive(A, voice(A, i), i * 10) === 'rate-limited') limited++;
    assert.equal(limited, 0, '100 packets/s at 480 samples');
  });

  test('a packet token is spent even when the byte bucket then refuses', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1, { config: LOW }); // packet burst 19, byte burst 1375
    const b = join(relay, B, 1, { config: LOW });
    let seq = 0;
    assert.equal(relay.receive(A, voice(A, seq++, MAX_DATAGRAM_BYTES), 0), null); // 80 bytes left
    for (let i = 0; i < 17; i++) assert.equal(relay.receive(A, voice(A, seq++, MAX_DATAGRAM_BYTES), 0), 'rate-limited');
    // 18 packet tokens are gone; one left, then none, although 80 bytes are still there
    assert.equal(relay.receive(A, voice(A, seq++, 19), 0), null);
    assert.equal(relay.receive(A, voice(A, seq++, 19), 0), 'rate-limited');
    assert.equal(b.sent.length, 2);
  });

  test('a mute toggle in the same channel does not refill the allowance', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    join(relay, B, 1);
    let seq = 0;
    for (let i = 0; i < 19; i++) assert.equal(relay.receive(A, voice(A, seq++), 0), null);
    relay.setMember(A, { channelId: 1, config: HIGH, selfMute: true, selfDeaf: false }, 0);
    relay.setMember(A, { channelId: 1, config: HIGH, selfMute: false, selfDeaf: false }, 0);
    assert.equal(relay.receive(A, voice(A, seq++), 0), 'rate-limited');
  });

  test('each sender has its own allowance', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1);
    const b = join(relay, B, 1);
    for (let i = 0; i < 30; i++) relay.receive(A, voice(A, i), 0);
    for (let i = 0; i < 30; i++) relay.receive(B, voice(B, i), 0);
    assert.equal(b.sent.length, 19);
    assert.equal(a.sent.length, 19);
  });
});

describe('VoiceRelay receiver backlog', () => {
  test('a backlogged receiver is skipped; the others still get the datagram', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    const c = join(relay, C, 1);
    const d = join(relay, D, 1);
    c.queued = 1_000_000;
    const bytes = voice(A, 0);
    assert.equal(relay.receive(A, bytes, 0), null, 'not a drop of the datagram as a whole');
    assert.deepEqual(b.sent, [bytes]);
    assert.deepEqual(c.sent, []);
    assert.deepEqual(d.sent, [bytes]);
    assert.deepEqual(snapshot(relay), {
      datagramsIn: 1,
      bytesIn: 19,
      forwarded: 2,
      bytesOut: 38,
      keepalives: 0,
      pingsEchoed: 0,
      drops: drops({ 'receiver-backlog': 1 }),
    });
    c.queued = 0;
    assert.equal(relay.receive(A, voice(A, 1), 0), null);
    assert.equal(c.sent.length, 1, 'delivered again once the queue drains');
  });

  test('a backlogged whisper target: counted as receiver-backlog, not a whole drop', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 2);
    b.queued = 1_000_000;
    assert.equal(relay.receive(A, whisper(A, 0, B), 0), null);
    assert.equal(b.sent.length, 0);
    assert.equal(relay.counters.drops['receiver-backlog'], 1);
    assert.equal(relay.counters.forwarded, 0);
  });

  test('with little traffic the limit is the channel floor (1580 bytes at 96 kbps, 330 at 16 kbps)', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    b.queued = 1580;
    assert.equal(relay.receive(A, voice(A, 0), 0), null);
    assert.equal(b.sent.length, 1, 'exactly at the floor is still sent');
    b.queued = 1581;
    assert.equal(relay.receive(A, voice(A, 1), 0), null);
    assert.equal(b.sent.length, 1, 'one byte over the floor is dropped');

    const low = new VoiceRelay();
    join(low, A, 1, { config: LOW });
    const lb = join(low, B, 1, { config: LOW });
    lb.queued = 330;
    low.receive(A, voice(A, 0), 0);
    lb.queued = 331;
    low.receive(A, voice(A, 1), 0);
    assert.equal(lb.sent.length, 1);
    assert.equal(low.counters.drops['receiver-backlog'], 1);
  });

  test('the limit is the receiver’s own channel floor, also for a whisper from a faster channel', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1, { config: HIGH });
    const b = join(relay, B, 2, { config: LOW });
    b.queued = 331;
    assert.equal(relay.receive(A, whisper(A, 0, B), 0), null);
    assert.equal(b.sent.length, 0);
    b.queued = 330;
    assert.equal(relay.receive(A, whisper(A, 1, B), 0), null);
    assert.equal(b.sent.length, 1);
  });

  test('with heavy traffic the limit follows the bytes offered in the current and previous 100 ms', () => {
    const relay = new VoiceRelay({ staleMs: Infinity }) // not paced;
    join(relay, A, 1); // 96 kbps: floor 1580, byte burst 6375
    const b = join(relay, B, 1);
    const big = (seq: number) => voice(A, seq, MAX_DATAGRAM_BYTES); // 1295 bytes
    // window [0, 100): offered 1295, then 2590
    b.queued = 1580;
    relay.receive(A, big(0), 0);
    assert.equal(b.sent.length, 1, 'offered 1295 < floor: limit 1580');
    b.queued = 2590;
    relay.receive(A, big(1), 50);
    assert.equal(b.sent.length, 2, 'offered 2590: limit 2590');
    // window [100, 200): the previous window's 2590 still counts
    b.queued = 2591;
    relay.receive(A, big(2), 100);
    assert.equal(b.sent.length, 2, 'one byte over the previous window');
    b.queued = 2590;
    relay.receive(A, big(3), 150);
    assert.equal(b.sent.length, 3, 'offered in this window is now 2590 too (dropped bytes count as offered)');
    // window [300, 400): 200 ms since the last window started, so nothing carries over
    b.queued = 1581;
    relay.receive(A, big(4), 300);
    assert.equal(b.sent.length, 3, 'back to the floor: 1581 > max(1295, 1580)');
    b.queued = 1580;
    relay.receive(A, big(5), 310);
    assert.equal(b.sent.length, 4);
    assert.equal(relay.counters.drops['receiver-backlog'], 2);
    assert.equal(relay.counters.drops['rate-limited'], 0);
  });

  test('a backlogged receiver does not make the datagram a no-receiver drop', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    b.queued = 1_000_000;
    assert.equal(relay.receive(A, voice(A, 0), 0), null);
    assert.equal(relay.counters.drops['no-receiver'], 0);
    assert.equal(relay.counters.drops['receiver-backlog'], 1);
  });
});

describe('VoiceRelay counters', () => {
  test('start at zero with every drop reason present', () => {
    const relay = new VoiceRelay();
    assert.deepEqual(snapshot(relay), {
      datagramsIn: 0,
      bytesIn: 0,
      forwarded: 0,
      bytesOut: 0,
      keepalives: 0,
      pingsEchoed: 0,
      drops: drops(),
    });
    assert.deepEqual(Object.keys(relay.counters.drops), [...DROP_REASONS]);
  });

  test('countDrop counts a datagram in and the reason', () => {
    const relay = new VoiceRelay();
    relay.countDrop('malformed');
    relay.countDrop('malformed');
    assert.equal(relay.counters.datagramsIn, 2);
    assert.equal(relay.counters.bytesIn, 0);
    assert.equal(relay.counters.drops.malformed, 2);
  });

  test('a mixed session adds up exactly', () => {
    const relay = new VoiceRelay();
    const a = join(relay, A, 1);
    const b = join(relay, B, 1);
    const c = join(relay, C, 1);
    const d = join(relay, D, 2);
    c.queued = 1_000_000;

    const steps: [number, Uint8Array, DropReason | null][] = [
      [A, voice(A, 0, 40), null], // to B; C backlogged
      [A, voice(A, 0, 40), 'replay'],
      [A, voice(B, 1, 40), 'forged-token'],
      [A, new Uint8Array(0), null], // keep-alive
      [A, ping(A), null], // echoed to A
      [A, new Uint8Array(7), 'malformed'],
      [A, new Uint8Array(MAX_DATAGRAM_BYTES + 1).fill(1), 'oversize'],
      [A, whisper(A, 1, D, 10), null], // to D only: 30 bytes
      [A, whisper(A, 2, UNKNOWN, 10), 'no-target'],
      [D, voice(D, 0, 50), 'no-receiver'], // D is alone in channel 2
      [B, voice(B, 0, 60), null], // to A; C backlogged
      [UNKNOWN, voice(UNKNOWN, 0), 'no-session'],
    ];
    let bytesIn = 0;
    for (const [bound, bytes, expected] of steps) {
      bytesIn += bytes.length;
      assert.equal(relay.receive(bound, bytes, 0), expected);
    }
    relay.setMember(B, { channelId: 1, config: HIGH, selfMute: true, selfDeaf: false }, 0);
    assert.equal(relay.receive(B, voice(B, 1, 25), 0), 'muted');
    bytesIn += 25;

    assert.equal(a.sent.length, 2); // ping echo + B's voice
    assert.equal(b.sent.length, 1);
    assert.equal(c.sent.length, 0);
    assert.equal(d.sent.length, 1);
    assert.equal(totalDrops(relay), 10);
    assert.deepEqual(snapshot(relay), {
      datagramsIn: 13,
      bytesIn,
      forwarded: 3, // A→B, A⇢D whisper, B→A
      bytesOut: 40 + 30 + 60 + 16, // three forwards + the ping echo
      keepalives: 1,
      pingsEchoed: 1,
      drops: drops({
        replay: 1,
        'forged-token': 1,
        malformed: 1,
        oversize: 1,
        'no-target': 1,
        'no-receiver': 1,
        'no-session': 1,
        'receiver-backlog': 2,
        muted: 1,
      }),
    });
  });
});

describe('VoiceRelay counters in a caller’s array, and whispers between relays (shards)', () => {
  test('counters live in the given slots, counted on from what they hold; the snapshot reads them', () => {
    const shared = new Float64Array(new SharedArrayBuffer(RELAY_COUNTER_SLOTS * 8));
    shared[0] = 100; // datagramsIn left by an earlier relay on these slots (a restarted shard)
    const relay = new VoiceRelay({ counters: shared });
    join(relay, A, 1);
    join(relay, B, 1);
    assert.equal(relay.receive(A, voice(A, 0, 30), 0), null);
    relay.countDrop('malformed');
    const read = readRelayCounters(shared);
    assert.deepEqual(read, snapshot(relay));
    assert.deepEqual(read, { datagramsIn: 102, bytesIn: 30, forwarded: 1, bytesOut: 30, keepalives: 0, pingsEchoed: 0, drops: drops({ malformed: 1 }) });
    assert.throws(() => new VoiceRelay({ counters: new Float64Array(RELAY_COUNTER_SLOTS - 1) }), TypeError);
  });

  /** Two relays joined as two shards are: a's forwardWhisper hands to b.deliverWhisper when the target is b's. */
  function pair() {
    const handed: Uint8Array[] = [];
    let bRelay: VoiceRelay | null = null;
    const aRelay = new VoiceRelay({
      forwardWhisper: (target, bytes) => {
        if (target !== C && target !== D) return false; // the directory: C and D live on relay b
        handed.push(bytes);
        bRelay!.deliverWhisper(bytes, 0);
        return true;
      },
    });
    bRelay = new VoiceRelay();
    const a = join(aRelay, A, 1);
    const b = join(aRelay, B, 1);
    const c = join(bRelay, C, 2);
    const d = join(bRelay, D, 2, { selfDeaf: true });
    return { aRelay, bRelay, a, b, c, d, handed };
  }

  test('a whisper to another relay’s member is handed over after the sender checks, delivered there once, counted once', () => {
    const { aRelay, bRelay, a, b, c, handed } = pair();
    const w = whisper(A, 0, C, 5);
    assert.equal(aRelay.receive(A, w, 0), null);
    assert.deepEqual(handed, [w], 'handed over as it is');
    assert.equal(c.sent[0], w, 'the target gets the same bytes');
    assert.equal(a.sent.length + b.sent.length, 0);
    assert.deepEqual(snapshot(aRelay), { datagramsIn: 1, bytesIn: w.length, forwarded: 0, bytesOut: 0, keepalives: 0, pingsEchoed: 0, drops: drops() });
    assert.deepEqual(snapshot(bRelay), { datagramsIn: 0, bytesIn: 0, forwarded: 1, bytesOut: w.length, keepalives: 0, pingsEchoed: 0, drops: drops() });
  });

  test('the sender’s checks come first: a replayed, muted or rate-limited whisper is never handed over', () => {
    const { aRelay, handed } = pair();
    assert.equal(aRelay.receive(A, whisper(A, 0, C), 0), null);
    assert.equal(aRelay.receive(A, whisper(A, 0, C), 0), 'replay');
    aRelay.setMember(A, { channelId: 1, config: HIGH, selfMute: true, selfDeaf: false }, 0);
    assert.equal(aRelay.receive(A, whisper(A, 1, C), 0), 'muted');
    assert.equal(handed.length, 1);
  });

  test('the receiving side’s rules at the target’s relay: deaf, gone or sinkless is no-target there; a backlogged target is receiver-backlog', () => {
    const { aRelay, bRelay, c, handed } = pair();
    assert.equal(aRelay.receive(A, whisper(A, 0, D), 0), null, 'handed over: the sender’s relay cannot know D is deaf');
    assert.equal(bRelay.counters.drops['no-target'], 1);
    bRelay.setSink(C, null);
    aRelay.receive(A, whisper(A, 1, C), 0);
    assert.equal(bRelay.counters.drops['no-target'], 2);
    bRelay.setSink(C, c);
    c.queued = 1_000_000;
    aRelay.receive(A, whisper(A, 2, C), 0);
    assert.equal(bRelay.counters.drops['receiver-backlog'], 1);
    bRelay.removeMember(C);
    aRelay.receive(A, whisper(A, 3, C), 0);
    assert.equal(bRelay.counters.drops['no-target'], 3);
    assert.equal(handed.length, 4);
    assert.equal(aRelay.counters.datagramsIn, 4);
    assert.equal(bRelay.counters.datagramsIn, 0, 'not counted in twice');
    assert.equal(c.sent.length, 0);
  });

  test('a target nobody has is no-target at the sender’s relay; a local target never asks forwardWhisper', () => {
    const { aRelay, b, handed } = pair();
    assert.equal(aRelay.receive(A, whisper(A, 0, UNKNOWN), 0), 'no-target');
    assert.equal(aRelay.receive(A, whisper(A, 1, B), 0), null);
    assert.equal(b.sent.length, 1);
    assert.equal(aRelay.receive(A, whisper(A, 2, A), 0), 'no-target', 'whisper to oneself');
    assert.equal(handed.length, 0);
  });

  test('deliverWhisper refuses anything but a whisper as malformed', () => {
    const relay = new VoiceRelay();
    join(relay, C, 2);
    assert.equal(relay.deliverWhisper(voice(A, 0), 0), 'malformed');
    assert.equal(relay.deliverWhisper(new Uint8Array(5), 0), 'malformed');
    assert.equal(relay.counters.drops.malformed, 2);
    assert.equal(relay.counters.datagramsIn, 0);
  });
});

describe('VoiceRelay overload deadline (stale)', () => {
  const at = (token: number, seq: number, ts: number) => encodeVoiceDatagram({ token, sequence: seq, timestamp: ts >>> 0 }, new Uint8Array(3).fill(0xf8));

  test('frames on pace pass; a frame arriving more than STALE_MS behind its sender\'s pace is dropped', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    const b = join(relay, B, 1);
    for (let i = 0; i < 50; i++) assert.equal(relay.receive(A, at(A, i, i * 960), i * 20), null);
    // The relay fell behind: frame 50 is handled 160 ms after its due time.
    assert.equal(relay.receive(A, at(A, 50, 50 * 960), 50 * 20 + STALE_MS + 10), 'stale');
    // A frame 100 ms behind is still delivered (late, but a jitter buffer may use it).
    assert.equal(relay.receive(A, at(A, 51, 51 * 960), 51 * 20 + 100), null);
    assert.equal(relay.counters.drops.stale, 1);
    assert.equal(b.sent.length, 51);
  });

  test('a pause with the timestamp following real time is not late; a sender whose clock runs 0.1 % slow is followed', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    join(relay, B, 1);
    for (let i = 0; i < 10; i++) relay.receive(A, at(A, i, i * 960), i * 20);
    // Five seconds of silence, then the next spurt: timestamps jumped with the clock.
    for (let i = 10; i < 20; i++) assert.equal(relay.receive(A, at(A, i, (i + 250) * 960), (i + 250) * 20), null);
    // 0.1 % slow sender clock for 10 minutes: lateness grows 1 ms per second, the reference absorbs it.
    let seq = 20;
    for (let k = 0; k < 30_000; k++, seq++) {
      const ts = (seq + 250) * 960;
      const now = (seq + 250) * 20 * 1.001;
      assert.equal(relay.receive(A, at(A, seq, ts), now), null, `frame ${k}`);
    }
    assert.equal(relay.counters.drops.stale, 0);
  });

  test('a timestamp that jumps by more than 10 s starts a new reference instead of dropping everything', () => {
    const relay = new VoiceRelay();
    join(relay, A, 1);
    join(relay, B, 1);
    relay.receive(A, at(A, 0, 0), 0);
    // The client restarted its sample clock 20 s behind: no backlog is that long; it is a discontinuity.
    const back = (0x1_0000_0000 - 20 * 48_000) >>> 0;
    assert.equal(relay.receive(A, at(A, 1, back), 20), null);
    assert.equal(relay.receive(A, at(A, 2, back + 960), 40), null);
    assert.equal(relay.counters.drops.stale, 0);
  });
});

describe('VoiceRelay overload mode', () => {
  const S = [A, B, C, D];
  /** All of S talk frames `from`…`to`−1 (20 ms apart, each sender 1 ms after the one before), `lateMs(i, token)` behind pace; the relay's answers. */
  const talk = (relay: VoiceRelay, from: number, to: number, lateMs: (i: number, token: number) => number = () => 0): (DropReason | null)[] => {
    const results: (DropReason | null)[] = [];
    for (let i = from; i < to; i++) for (const [k, t] of S.entries()) results.push(relay.receive(t, voice(t, i), i * 20 + k + lateMs(i, t)));
    return results;
  };
  /** Everyone on pace for 15 frames, then 60 ms behind for 15 (the relay fell behind): overload mode, on a busy thread. */
  /** A relay with all of S in channel 1, and their sinks. */
  const fourTalking = () => {
    const relay = new VoiceRelay();
    return { relay, sinks: S.map((t) => join(relay, t, 1)) };
  };
  const overloaded = () => {
    const { relay, sinks } = fourTalking();
    talk(relay, 0, 30, (i) => (i >= 15 ? 60 : 0));
    assert.equal(relay.overloaded, true);
    return { relay, sinks };
  };

  test('when most senders are late the deadline tightens to OVERLOAD_STALE_MS; one late uplink does not do it', () => {
    const { relay } = fourTalking();
    // 1 s on pace, all four talking.
    talk(relay, 0, 50);
    assert.equal(relay.overloaded, false);
    // Only A's uplink lags 60 ms for a while: not the relay's fault, the usual 150 ms deadline holds.
    assert.ok(talk(relay, 50, 70, (_i, t) => (t === A ? 60 : 0)).every((r) => r === null));
    assert.equal(relay.overloaded, false);
    assert.equal(relay.counters.drops.stale, 0);
    // Now everyone is 60 ms behind (the relay fell behind): after one window the deadline is 30 ms.
    const dropped = talk(relay, 70, 100, () => 60).filter((r) => r === 'stale').length;
    assert.equal(relay.overloaded, true);
    assert.ok(dropped > 0 && dropped === relay.counters.drops.stale, `late frames shed at the door: ${dropped}`);
    // Caught up: on pace again, the verdict clears after a window and nothing more is dropped.
    const before = relay.counters.drops.stale;
    talk(relay, 100, 140);
    assert.equal(relay.overloaded, false);
    assert.equal(relay.counters.drops.stale, before);
  });

  test('overload mode holds while one frame in eight or more is still late (shedding keeps most under 20 ms), and ends below that', () => {
    const { relay } = overloaded();
    // Shedding works: a quarter of the frames 25 ms behind, the rest on pace — not enough to enter, enough to stay.
    const quarterLate = (i: number) => (i % 4 === 0 ? 25 : 0);
    assert.ok(talk(relay, 30, 90, quarterLate).every((r) => r === null));
    assert.equal(relay.overloaded, true, 'still in overload mode');
    const fresh = fourTalking().relay;
    talk(fresh, 0, 90, quarterLate);
    assert.equal(fresh.overloaded, false, 'the same lateness does not start it');
    // One in ten late: caught up, the mode ends.
    talk(relay, 90, 130, (i) => (i % 10 === 0 ? 25 : 0));
    assert.equal(relay.overloaded, false);
  });

  test('jitter is not overload: every sender with a late frame now and then leaves the deadline alone', () => {
    const { relay } = fourTalking();
    // Every sender's every fifth frame is 60 ms late (a jittery uplink), the rest on time, on a busy relay.
    talk(relay, 0, 100, (i) => (i % 5 === 2 ? 60 : 0));
    assert.equal(relay.overloaded, false);
    assert.equal(relay.counters.drops.stale, 0);
  });

  test('the verdict lapses when the shard’s own senders go quiet (whispers from elsewhere get the usual queue)', () => {
    const { relay, sinks } = overloaded();
    const b = sinks[1]!;
    b.queued = 1000; // over the overload allowance (395), within the usual one (1580)
    const backlog0 = relay.counters.drops['receiver-backlog'];
    // A second later nobody here has spoken; a whisper arrives from another shard.
    const w = whisper(0x99, 1, B);
    relay.deliverWhisper(w, 30 * 20 + 1000);
    assert.equal(relay.counters.drops['receiver-backlog'], backlog0, 'delivered, not dropped by a stale verdict');
    assert.equal(b.sent.at(-1), w);
  });

  test('late senders on a relay whose thread is not busy are their uplinks’ doing: no overload mode', () => {
    const { relay } = fourTalking();
    relay.setBusy(false);
    talk(relay, 0, 60, (i) => (i >= 15 ? 60 : 0));
    assert.equal(relay.overloaded, false);
    assert.equal(relay.counters.drops.stale, 0, 'the usual 150 ms deadline');
    relay.setBusy(true);
    talk(relay, 60, 90, () => 60);
    assert.equal(relay.overloaded, true);
  });

  test('in overload a receiver’s queue may hold less before its copies are dropped (per receiver, counted)', () => {
    const { relay, sinks } = overloaded();
    const slow = sinks[1]!;
    const backlog0 = relay.counters.drops['receiver-backlog'];
    // B’s queue holds 1000 bytes: within its usual allowance (the 96 kbit/s floor, 1580), over it in overload (395).
    assert.equal(receiverQueueFloorBytes(HIGH), 1580);
    slow.queued = 1000;
    const slowSent = slow.sent.length;
    const frame = voice(A, 30);
    assert.equal(relay.receive(A, frame, 30 * 20 + 25), null, 'a frame within the overload deadline is handled');
    assert.equal(relay.counters.drops['receiver-backlog'], backlog0 + 1, 'dropped for B only');
    assert.equal(slow.sent.length, slowSent);
    assert.equal(sinks[2]!.sent.at(-1), frame, 'the others got it');
    assert.equal(sinks[3]!.sent.at(-1), frame);
  });

  test('a sender whose timestamp stands still across a pause is not punished when the shard is idle (everyone was quiet)', () => {
    const { relay } = fourTalking();
    talk(relay, 0, 50);
    // Two seconds of silence from everyone (no datagram at all: the shard reports an idle thread), then A
    // talks on with the timestamp it stopped at.
    relay.setBusy(false);
    for (let i = 50; i < 60; i++) assert.equal(relay.receive(A, voice(A, i), 2000 + i * 20), null, `frame ${i}`);
    assert.equal(relay.counters.drops.stale, 0);
  });

  test('on a busy thread a gap is a backlog, not a new talk spurt: frames that waited in the kernel are shed at the door', () => {
    const { relay } = fourTalking();
    talk(relay, 0, 50);
    // The relay did not get to A's socket for 480 ms; then it reads A's queued frames 52…69 at once (50 and 51
    // were lost on the way), frame 69 80 ms after its due time, frame 52 420 ms after.
    const results = [];
    for (let i = 52; i < 70; i++) results.push(relay.receive(A, voice(A, i), 69 * 20 + 80));
    assert.deepEqual(results.slice(0, 14), new Array(14).fill('stale'), 'frames more than STALE_MS behind');
    assert.deepEqual(results.slice(14), [null, null, null, null], 'frames 66–69, 140–80 ms behind: forwarded');
    // The same gap on an idle thread: A paused (its clock stood still); a new reference, nothing dropped.
    const idle = fourTalking().relay;
    talk(idle, 0, 50);
    idle.setBusy(false);
    for (let i = 50; i < 70; i++) assert.equal(idle.receive(A, voice(A, i), 69 * 20 + 80 + (i - 50) * 20), null, `frame ${i}`);
  });

  test('in overload mode a sender whose own uplink delay stepped up is forwarded again within 10 s, and the mode it alone holds up ends', () => {
    const { relay } = overloaded();
    // Everyone catches up except A, whose uplink now adds 45 ms: past the 30 ms deadline, A's frames are shed at first…
    const first = talk(relay, 30, 40, (_i, t) => (t === A ? 45 : 0)).filter((_r, k) => k % 4 === 0);
    assert.ok(first.every((r) => r === 'stale'), JSON.stringify(first));
    // …but the reference follows A's own step (DRIFT_FOLLOW, 0.1 % a frame): within 10 s A reads under 30 ms
    // late and is forwarded again…
    const later = talk(relay, 40, 540, (_i, t) => (t === A ? 45 : 0)).filter((_r, k) => k % 4 === 0);
    assert.deepEqual(later.slice(-50), new Array(50).fill(null));
    // …and once it reads under 20 ms (≈ 16 s; a quarter of the frames late kept the mode on till then) the mode ends.
    talk(relay, 540, 1040, (_i, t) => (t === A ? 45 : 0));
    assert.equal(relay.overloaded, false);
  });
});
