/**
 * VoiceLaneSender against a stand-in association (the fields and methods of
 * werift's SCTP, DTLS and ICE objects it drives): fragmentation, and what
 * happens when putting a packet on the wire throws. The real thing, against
 * libwebrtc and Chromium, is e2e/integration/voice-lane.test.ts and
 * e2e/browser/voice-lane.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RTCDataChannel } from 'werift';
import { VoiceLaneSender, setBundleHold, setExpiredCounter, setHoldHistogram, setQueueAgeLimit } from './voice-lane-sender.ts';
import { HOLD_BUCKET_MS, HOLD_BUCKETS, RECEIVER_QUEUE_MS } from '../relay/relay-limits.ts';
import { SCTP_FLAG_FIRST, SCTP_FLAG_LAST, SCTP_FLAG_UNORDERED } from './sctp-wire.ts';
import { SCTP_ESTABLISHED, type WeriftTransports } from './werift-internals.ts';

interface Chunk {
  tsn: number;
  flags: number;
  bookSize: number;
  userData: Uint8Array;
  retransmit?: boolean;
}

function standIn() {
  const wire = { throwOnEncrypt: false, datagrams: [] as Buffer[] };
  const sctp = {
    associationState: SCTP_ESTABLISHED,
    isStopped: false,
    state: 'connected',
    localPort: 5000,
    remotePort: 5000,
    remoteVerificationTag: 1,
    localTsn: 100,
    maxPayloadSize: 1160,
    cwnd: 100 * 1160,
    flightSize: 0,
    peerRwnd: 1 << 20,
    fastRecoveryExit: undefined,
    fastRecoveryTransmit: false,
    forwardTsnChunk: undefined,
    outboundQueue: [] as Chunk[],
    sentQueue: [] as Chunk[],
    timer3Handle: undefined as number | undefined,
    flush: { execute() {} },
    transmit() {},
    async sendChunk() {},
    flightSizeIncrease(c: Chunk) {
      this.flightSize += c.bookSize;
    },
    timer3Start() {
      this.timer3Handle = 1;
    },
    timer3Restart() {
      this.timer3Handle = 1;
    },
    // What the receive path keeps for the SACK.
    lastReceivedTsn: 0xfffffffe,
    sackMisOrdered: new Set<number>(),
    sackDuplicates: [] as number[],
    sackNeeded: false,
    sackImmediate: false,
    sackPacketCount: 0,
    advertisedRwnd: 123_456,
  };
  // The record layer: a copy of the packet (the sender builds every packet in one reused buffer).
  const sealer = {
    seal(plain: Uint8Array) {
      if (wire.throwOnEncrypt) throw new TypeError('the record layer failed');
      return Buffer.from(plain);
    },
  };
  const ice = {
    nominated: { remoteAddr: ['127.0.0.1', 9], protocol: { transport: { closed: false, socket: { send: (b: Buffer) => wire.datagrams.push(b) } }, async sendData() {} } },
    canSendApplicationData: () => true,
  };
  const t = { sctp, dtls: {}, ice } as unknown as WeriftTransports;
  const lane = new VoiceLaneSender(t, { id: 0, maxRetransmits: 0 } as unknown as RTCDataChannel, sealer);
  return { lane, sctp, wire };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('a message larger than one DATA chunk goes as fragments: consecutive TSNs, B on the first, E on the last', async () => {
  const { lane, sctp, wire } = standIn();
  const big = new Uint8Array(3000).map((_, i) => i & 0xff);
  assert.equal(lane.send(big), true);
  assert.equal(lane.queuedBytes, 3000);
  await turn();
  const chunks = sctp.sentQueue;
  assert.deepEqual(chunks.map((c) => c.tsn), [100, 101, 102]);
  assert.deepEqual(chunks.map((c) => c.flags), [SCTP_FLAG_UNORDERED | SCTP_FLAG_FIRST, SCTP_FLAG_UNORDERED, SCTP_FLAG_UNORDERED | SCTP_FLAG_LAST]);
  assert.deepEqual(Buffer.concat(chunks.map((c) => c.userData)), Buffer.from(big));
  assert.equal(wire.datagrams.length, 3, 'each ~1160-byte fragment fills its own packet');
  assert.equal(lane.queuedBytes, 0);
});

test('a throw while sending leaves the books straight: the chunks count as sent once, nothing twice, werift’s transmit does not throw', async () => {
  const { lane, sctp, wire } = standIn();
  wire.throwOnEncrypt = true;
  for (let i = 0; i < 5; i++) lane.send(new Uint8Array(100));
  await turn();
  assert.equal(lane.counters.errors, 1);
  assert.deepEqual(sctp.outboundQueue, [], 'taken off the outbound queue');
  assert.deepEqual(sctp.sentQueue.map((c) => c.tsn), [100, 101, 102, 103, 104], 'in flight once (lost, so abandoned later)');
  assert.equal(sctp.flightSize, 500);
  assert.equal(lane.queuedBytes, 0);
  // werift's T3 expiry calls transmit from a timer, unguarded: it must not throw.
  lane.send(new Uint8Array(100));
  assert.doesNotThrow(() => sctp.transmit());
  assert.equal(lane.counters.errors, 2);
  wire.throwOnEncrypt = false;
  lane.send(new Uint8Array(100));
  await turn();
  assert.deepEqual(sctp.sentQueue.map((c) => c.tsn), [100, 101, 102, 103, 104, 105, 106], 'no TSN sent twice');
  assert.equal(wire.datagrams.length, 1);
  assert.equal(lane.queuedBytes, 0);
});

/** The chunks of one SCTP packet: [type, flags, body]. */
function chunksOf(packet: Buffer): [number, number, Buffer][] {
  const out: [number, number, Buffer][] = [];
  for (let at = 12; at + 4 <= packet.length; ) {
    const length = packet.readUInt16BE(at + 2);
    out.push([packet[at]!, packet[at + 1]!, packet.subarray(at + 4, at + length)]);
    at += (length + 3) & ~3;
  }
  return out;
}

test('the SACK it writes: cumulative TSN, gap blocks as offsets across the 2³² wrap, duplicates, a_rwnd; werift’s SACK state cleared', async () => {
  const { lane, sctp, wire } = standIn();
  // Received up to 0xfffffffe, then 0x0 and 0x1 (offsets 2, 3) and 0x3 (offset 5): 0xffffffff and 0x2 missing.
  for (const tsn of [0x0, 0x1, 0x3]) sctp.sackMisOrdered.add(tsn);
  sctp.sackDuplicates.push(0xfffffff0);
  sctp.sackNeeded = true;
  lane.dataReceived(true);
  await turn();
  assert.equal(wire.datagrams.length, 1);
  const [[type, , body]] = chunksOf(wire.datagrams[0]!) as [[number, number, Buffer]];
  assert.equal(type, 3, 'a SACK chunk, alone');
  assert.equal(body.readUInt32BE(0), 0xfffffffe, 'cumulative TSN');
  assert.equal(body.readUInt32BE(4), 123_456, 'a_rwnd');
  assert.deepEqual([body.readUInt16BE(8), body.readUInt16BE(10)], [2, 1], 'two gap blocks, one duplicate');
  assert.deepEqual([body.readUInt16BE(12), body.readUInt16BE(14), body.readUInt16BE(16), body.readUInt16BE(18)], [2, 3, 5, 5]);
  assert.equal(body.readUInt32BE(20), 0xfffffff0);
  assert.equal(sctp.sackNeeded, false);
  assert.deepEqual(sctp.sackDuplicates, []);
  assert.equal(lane.counters.sackOnly, 1);
});

test('a SACK goes first in the next DATA packet; one packet with new DATA waits for it, the second makes it go alone', async () => {
  const { lane, sctp, wire } = standIn();
  sctp.sackNeeded = true;
  lane.dataReceived(false);
  await turn();
  assert.equal(wire.datagrams.length, 0, 'one unacknowledged packet: the SACK waits for DATA going back');
  lane.send(new Uint8Array([1, 2, 3]));
  await turn();
  assert.deepEqual(chunksOf(wire.datagrams[0]!).map(([t]) => t), [3, 0], 'SACK, then DATA, in one packet');
  assert.equal(lane.counters.sackOnly, 0);
  sctp.sackNeeded = true;
  lane.dataReceived(false);
  lane.dataReceived(false);
  await turn();
  assert.deepEqual(chunksOf(wire.datagrams[1]!).map(([t]) => t), [3], 'the second packet: alone, at the end of the turn');
  lane.close();
});

test('with a bundle hold (VOICE_RELAY_BUNDLE_MS) datagrams within it share a packet that leaves when it ends; without, each turn sends its own', async (t) => {
  const { lane, sctp, wire } = standIn();
  lane.send(new Uint8Array([1]));
  await turn();
  lane.send(new Uint8Array([2]));
  await turn();
  assert.equal(wire.datagrams.length, 2, 'no hold: one packet per turn');
  t.mock.timers.enable({ apis: ['setTimeout'] }); // the hold's timer, on a clock the test moves
  setBundleHold(3);
  try {
    lane.send(new Uint8Array([3]));
    await turn();
    t.mock.timers.tick(2);
    lane.send(new Uint8Array([4]));
    await turn();
    assert.equal(wire.datagrams.length, 2, 'held past the end of the turn');
    t.mock.timers.tick(1);
    assert.equal(wire.datagrams.length, 3, '3 ms after the first: both in one packet');
    assert.deepEqual(chunksOf(wire.datagrams[2]!).map(([type, , body]) => [type, body[12]]), [[0, 3], [0, 4]]);
    assert.deepEqual(sctp.sentQueue.map((c) => c.tsn), [100, 101, 102, 103]);
  } finally {
    setBundleHold(0);
  }
  assert.throws(() => setBundleHold(6), RangeError);
});

test('relay hold: each message counted once, at its first sendmsg, in the bucket of the time since send(); fragments once, retransmissions never', async (t) => {
  let now = 1000;
  t.mock.method(performance, 'now', () => now);
  const hold = new Float64Array(HOLD_BUCKETS);
  setHoldHistogram(hold);
  try {
    const { lane, sctp, wire } = standIn();
    const at = (ms: number) => Math.floor(ms / HOLD_BUCKET_MS);
    lane.send(new Uint8Array([1]));
    now += 0.6;
    lane.send(new Uint8Array(3000)); // three fragments, queued 0.6 ms after the first message
    now += 1.4;
    await turn();
    const packets = wire.datagrams.length;
    assert.ok(packets >= 3, 'the fragments took a packet each');
    assert.equal(hold.reduce((a, b) => a + b, 0), 2, 'two messages, two counts');
    assert.equal(hold[at(2)], 1, 'the first: 2 ms');
    assert.equal(hold[at(1.4)], 1, 'the fragmented one: 1.4 ms, once');
    // Marked for retransmission: it leaves again, uncounted.
    sctp.sentQueue[0]!.retransmit = true;
    now += 5;
    lane.transmitNow();
    assert.equal(wire.datagrams.length, packets + 1);
    assert.equal(hold.reduce((a, b) => a + b, 0), 2, 'a retransmission is not a hold');
    // The histogram spans the queue-age limit: a message held longer expires unsent, uncounted…
    assert.equal(HOLD_BUCKETS * HOLD_BUCKET_MS, RECEIVER_QUEUE_MS);
    lane.send(new Uint8Array([2]));
    now += RECEIVER_QUEUE_MS + 30;
    await turn();
    assert.equal(lane.counters.expired, 1);
    assert.equal(hold.reduce((a, b) => a + b, 0), 2);
    // …and with a longer limit, one held past the histogram's end lands in its last bucket.
    setQueueAgeLimit(1000);
    try {
      lane.send(new Uint8Array([4]));
      now += RECEIVER_QUEUE_MS + 30;
      await turn();
    } finally {
      setQueueAgeLimit(RECEIVER_QUEUE_MS);
    }
    assert.equal(hold[HOLD_BUCKETS - 1], 1);
    setHoldHistogram(null);
    lane.send(new Uint8Array([3]));
    await turn();
    assert.equal(hold.reduce((a, b) => a + b, 0), 3, 'no histogram, nothing counted');
    lane.close();
  } finally {
    setHoldHistogram(null);
  }
  assert.throws(() => setHoldHistogram(new Float64Array(3)), RangeError);
});

test('a message held up by the congestion window past the age limit is dropped unsent, without a TSN; werift’s own chunks keep their place', async (t) => {
  let now = 5000;
  t.mock.method(performance, 'now', () => now);
  const expired = new Float64Array(1);
  setExpiredCounter(expired);
  try {
    const { lane, sctp, wire } = standIn();
    const window = sctp.cwnd;
    sctp.cwnd = 0; // the peer's SACKs are late: nothing may go
    lane.send(new Uint8Array([1]));
    lane.send(new Uint8Array(3000)); // three fragments, one message
    now += 30;
    lane.send(new Uint8Array([2]));
    await turn();
    assert.equal(wire.datagrams.length, 0);
    assert.equal(sctp.localTsn, 100, 'no TSN taken while they wait');
    // werift queues a chunk of its own (DCEP, another channel) with the next TSN.
    sctp.outboundQueue.push({ tsn: sctp.localTsn++, flags: 3, bookSize: 4, userData: new Uint8Array(4) });
    now += RECEIVER_QUEUE_MS - 20; // the first two messages are now older than the limit, the third is not
    lane.transmitNow();
    assert.equal(lane.counters.expired, 2, 'two messages (one of them in three fragments) dropped');
    assert.equal(expired[0], 2, 'counted where the shard reads it');
    assert.equal(lane.queuedBytes, 1, 'only the third is left');
    sctp.cwnd = window;
    lane.transmitNow();
    assert.deepEqual(sctp.sentQueue.map((c) => c.tsn), [100, 101], 'werift’s chunk, then the third message with the next TSN: no hole to skip');
    assert.equal(lane.queuedBytes, 0);
    assert.equal(lane.counters.expired, 2);
    lane.close();
  } finally {
    setExpiredCounter(null);
  }
});

test('the queue-age limit is per thread and can be tightened (overload mode); it must be positive', async (t) => {
  let now = 0;
  t.mock.method(performance, 'now', () => now);
  setQueueAgeLimit(25);
  try {
    const { lane, sctp, wire } = standIn();
    sctp.cwnd = 0;
    lane.send(new Uint8Array([1]));
    now += 26;
    lane.send(new Uint8Array([2]));
    lane.transmitNow();
    assert.equal(lane.counters.expired, 1);
    sctp.cwnd = 100 * 1160;
    lane.transmitNow();
    assert.equal(wire.datagrams.length, 1);
    assert.deepEqual(sctp.sentQueue.map((c) => c.tsn), [100]);
    lane.close();
  } finally {
    setQueueAgeLimit(RECEIVER_QUEUE_MS);
  }
  assert.throws(() => setQueueAgeLimit(0), RangeError);
});
