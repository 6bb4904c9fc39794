/**
 * The server's voice-lane send path (server/rtc/voice-lane-sender.ts) against
 * libwebrtc (@roamhq/wrtc), with no relay in between: a VoicePeer in this
 * process answers a wrtc peer connection, and every UDP datagram the server
 * sends goes through node:dgram here, where the test counts and drops them.
 *
 * - The fast path carries the messages (its counters move, werift's
 *   DataChannel.send is never used), each message arrives as its own
 *   DataChannel message with its exact bytes.
 * - Messages queued in one event-loop turn leave bundled: several DATA chunks
 *   in one SCTP packet, one DTLS record, one UDP datagram.
 * - Under loss (every 5th voice record dropped on the wire, by wire-loss.ts) nothing is
 *   retransmitted: each lost record's messages are gone, the rest arrive on
 *   time, and the association stays up.
 * - The other way (server/rtc/voice-lane-receiver.ts): the client's messages
 *   arrive through the fast receive path with their exact bytes; the server's
 *   SACKs ride on its DATA when it has some for the client and go alone at
 *   most every second packet otherwise, and acknowledge every chunk in time
 *   (the client abandons none: no FORWARD-TSN); under 20 % loss on the way in (dropped in the server's dgram
 *   sockets) the client abandons what was lost (FORWARD-TSN, taken by
 *   werift), the rest arrive once, and the lane keeps working.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import dgram from 'node:dgram';
import wrtc from '@roamhq/wrtc';
import { VoicePeer } from '../../server/rtc/voice-peer.ts';
import { MAX_BUNDLE_WAIT_MS } from '../../server/relay/relay-limits.ts';
import { DTLS_RECORD_HEADER, MAX_SCTP_PACKET, SCTP_DATA_CHUNK_HEADER } from '../../server/rtc/sctp-wire.ts';
import { VOICE_CHANNEL_INIT, VOICE_CHANNEL_LABEL } from '../../shared/voice/constants.ts';
import { sleep, waitFor } from '../wait.ts';
import { hex } from './harness.ts';
import installWireLoss, { DATA_RECORDS, DROPPED, DROPPING, WIRE_SLOTS, dropInbound, messageId, numberedMessage } from './wire-loss.ts';

const PAYLOAD = 160; // bigger than any SCTP control record: voice records are told apart by size
const VOICE_RECORD_MIN = PAYLOAD + SCTP_DATA_CHUNK_HEADER + DTLS_RECORD_HEADER;

// The VoicePeer lives in this thread, so the wire-loss hook is installed here (not in a shard).
const wire = new Int32Array(new SharedArrayBuffer(WIRE_SLOTS * 4));

interface Pair {
  peer: VoicePeer;
  pc: InstanceType<typeof wrtc.RTCPeerConnection>;
  dc: ReturnType<InstanceType<typeof wrtc.RTCPeerConnection>['createDataChannel']>;
  /** What the server received from the client, in order. */
  inbound: Uint8Array[];
  received: Uint8Array[];
  arrivedAt: number[];
  close(): void;
}

/** `onInbound` runs on the server for each message from the client (after it is recorded). */
async function connect(onInbound: (bytes: Uint8Array, peer: VoicePeer) => void = () => {}): Promise<Pair> {
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const dc = pc.createDataChannel(VOICE_CHANNEL_LABEL, { ...VOICE_CHANNEL_INIT });
  dc.binaryType = 'arraybuffer';
  const received: Uint8Array[] = [];
  const arrivedAt: number[] = [];
  dc.onmessage = (e: { data: ArrayBuffer | string }) => {
    if (typeof e.data === 'string') throw new Error('a text message on the voice lane');
    received.push(new Uint8Array(e.data));
    arrivedAt.push(performance.now());
  };
  const clientOpen = new Promise<void>((resolve) => (dc.onopen = () => resolve()));
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor(() => pc.iceGatheringState === 'complete', 5000, 'wrtc gathered its candidates');
  const inbound: Uint8Array[] = [];
  const peer: VoicePeer = new VoicePeer({ portRange: null, extraHostAddresses: ['127.0.0.1'], announcedAddress: null, dtlsKeys: null }, (bytes) => {
    inbound.push(Uint8Array.from(bytes));
    onInbound(bytes, peer);
  }, () => {});
  const serverOpen = new Promise<void>((resolve) => peer.once('open', () => resolve()));
  const { sdp } = await peer.answer(pc.localDescription!.sdp, '127.0.0.1', null);
  await pc.setRemoteDescription({ type: 'answer', sdp });
  await Promise.all([clientOpen, serverOpen]);
  return {
    peer,
    pc,
    dc,
    inbound,
    received,
    arrivedAt,
    close() {
      peer.close();
      pc.close();
    },
  };
}

before(() => installWireLoss({ shared: wire.buffer as SharedArrayBuffer, minBytes: VOICE_RECORD_MIN }));


test('the fast path carries each message as its own DataChannel message, bundled per event-loop turn', async () => {
  const p = await connect();
  try {
    const lane = p.peer.lane;
    assert.ok(lane, 'the fast send path attached when the lane opened');
    // 26 messages in one turn, sizes 1…3000 bytes (two larger than one DATA chunk: fragmented) and an empty one.
    const sizes = [0, 1, 7, 160, 1100, 300, 5, 999, 64, 64, 64, 64, 200, 400, 800, 3, 2, 1, 150, 150, 150, 150, 150, 150, 1300, 3000];
    const sent = sizes.map((n, i) => (n === 0 ? new Uint8Array(0) : numberedMessage(i, Math.max(4, n)).subarray(0, n)));
    for (const m of sent) p.peer.send(m);
    assert.equal(lane.counters.messages, sent.length);
    assert.ok(p.peer.queuedBytes() > 0, 'queued until the end of the turn');
    await waitFor(() => p.received.length === sent.length, 5000, 'every message arrived');
    assert.equal(p.peer.queuedBytes(), 0);
    assert.deepEqual(p.received.map(hex).sort(), sent.map(hex).sort(), 'each message arrived once, with its exact bytes');
    const total = sizes.reduce((a, n) => a + Math.max(1, n) + SCTP_DATA_CHUNK_HEADER * Math.ceil(Math.max(1, n) / 1160), 0);
    assert.ok(lane.counters.packets >= Math.ceil(total / MAX_SCTP_PACKET) && lane.counters.packets <= 12,
      `${sent.length} messages (${total} bytes of DATA chunks) left in ${lane.counters.packets} packets`);

    // Spread over turns, each goes alone and at once.
    const before = lane.counters.packets;
    for (let i = 0; i < 5; i++) {
      p.peer.send(numberedMessage(100 + i));
      await sleep(5);
    }
    await waitFor(() => p.received.length === sent.length + 5, 5000, 'five single messages arrived');
    assert.equal(lane.counters.packets - before, 5, 'one packet each');

    // A long turn (an overloaded relay): the batch leaves once its oldest chunk has waited MAX_BUNDLE_WAIT_MS.
    const p0 = lane.counters.packets;
    p.peer.send(numberedMessage(200));
    const until = performance.now() + MAX_BUNDLE_WAIT_MS + 1;
    while (performance.now() < until) {
      // the relay busy with other datagrams
    }
    p.peer.send(numberedMessage(201));
    assert.equal(lane.counters.packets, p0 + 1, 'the batch left before the turn ended, the message just queued with it');
    await waitFor(() => p.received.length === sent.length + 7, 5000, 'both arrived');
    await sleep(20);
    assert.equal(lane.counters.packets, p0 + 1, 'nothing left over for the end of the turn');
  } finally {
    p.close();
  }
});

test('under 20 % loss on the wire nothing is retransmitted; the rest arrive on time', async () => {
  const p = await connect();
  try {
    const FRAMES = 150;
    Atomics.store(wire, DROPPING, 1);
    const sentAt: number[] = [];
    const start = performance.now();
    for (let i = 0; i < FRAMES; i++) {
      const due = start + i * 20;
      await sleep(Math.max(0, due - performance.now())); // always a new turn, even when late
      sentAt[i] = performance.now();
      // Two messages per turn, as when two talkers' frames reach the relay together: one record each turn.
      p.peer.send(numberedMessage(2 * i));
      p.peer.send(numberedMessage(2 * i + 1));
    }
    // Longer than werift's RTO (≥ 1 s): a retransmission would show up here.
    await sleep(2500);
    Atomics.store(wire, DROPPING, 0);
    const records = Atomics.load(wire, DATA_RECORDS);
    const dropped = Atomics.load(wire, DROPPED);
    assert.equal(records, FRAMES, `exactly one voice record per turn went out: ${records} for ${FRAMES} turns (more means retransmissions)`);
    assert.equal(dropped, FRAMES / 5);
    const ids = p.received.map((b) => messageId(b));
    assert.equal(new Set(ids).size, ids.length, 'no duplicates');
    assert.equal(ids.length, 2 * (FRAMES - dropped), 'both messages of every record not dropped arrived, and none of a dropped one came back');
    for (const id of ids) assert.deepEqual(p.received[ids.indexOf(id)], numberedMessage(id), `message ${id} has its exact bytes`);
    const delays = ids.map((id, k) => p.arrivedAt[k]! - sentAt[id >> 1]!).sort((a, b) => a - b);
    const p99 = delays[Math.floor(delays.length * 0.99)]!;
    assert.ok(p99 < 200, `no stale audio: p99 delay ${p99.toFixed(1)} ms`);
    assert.equal(p.peer.isOpen, true, 'the association survived the loss');
    assert.equal(p.pc.connectionState, 'connected');
  } finally {
    p.close();
  }
});

test('under loss a message in fragments arrives whole or not at all, never retransmitted', async () => {
  const p = await connect();
  try {
    const TURNS = 40;
    const BIG = 3000; // three DATA chunks (1160 + 1160 + 680), each in its own packet
    for (const slot of [DATA_RECORDS, DROPPED]) Atomics.store(wire, slot, 0);
    Atomics.store(wire, DROPPING, 1);
    const start = performance.now();
    for (let i = 0; i < TURNS; i++) {
      await sleep(Math.max(0, start + i * 20 - performance.now()));
      p.peer.send(numberedMessage(i, BIG));
    }
    await sleep(2500); // past werift's RTO
    Atomics.store(wire, DROPPING, 0);
    assert.equal(Atomics.load(wire, DATA_RECORDS), 3 * TURNS, 'three records per message, none sent again');
    // Record n (from 1) is dropped when n % 5 === 3: message i (records 3i+1…3i+3) survives if none of its three is.
    const survives = (i: number) => [1, 2, 3].every((k) => (3 * i + k) % 5 !== 3);
    const expected = Array.from({ length: TURNS }, (_, i) => i).filter(survives);
    const ids = p.received.map((b) => messageId(b));
    assert.deepEqual([...ids].sort((a, b) => a - b), expected, 'exactly the messages none of whose fragments was lost');
    for (const [k, id] of ids.entries()) assert.deepEqual(p.received[k], numberedMessage(id, BIG), `message ${id} whole, with its exact bytes`);
    // The association is fine after abandoning partial messages: the next one arrives.
    p.peer.send(numberedMessage(999, BIG));
    await waitFor(() => p.received.some((b) => messageId(b) === 999), 5000, 'a message after the loss arrived');
  } finally {
    p.close();
  }
});

/** numberedMessage, typed for libwebrtc's send. */
const clientMessage = (id: number) => numberedMessage(id) as Uint8Array<ArrayBuffer>;

test('the client’s messages arrive through the fast receive path with their exact bytes; SACKs go alone at most every second packet and acknowledge every chunk in time', async () => {
  const p = await connect();
  try {
    const receiver = p.peer.receiver;
    assert.ok(receiver, 'the fast receive path attached when the lane opened');
    const sizes = [1, 160, 1100, 0, 64, 1300, 7];
    const sent = sizes.map((n, i) => (n === 0 ? new Uint8Array(0) : numberedMessage(i, Math.max(4, n)).subarray(0, n)));
    for (const m of sent) p.dc.send(m as Uint8Array<ArrayBuffer>);
    await waitFor(() => p.inbound.length === sent.length, 5000, 'every message arrived');
    assert.deepEqual(p.inbound.map(hex).sort(), sent.map(hex).sort(), 'once each, exact bytes (empty and fragmented included)');
    assert.ok(receiver.counters.fromSocket > 0 && receiver.counters.messages >= sent.length - 1,
      `taken here: ${JSON.stringify(receiver.counters)} (a fragmented message goes through werift)`);
    // A client that only talks: 150 messages, 20 ms apart, nothing coming back to carry the SACKs.
    const lane = p.peer.lane!;
    const before = { ...lane.counters };
    const handedOver = receiver.counters.handedOver; // from before the talking: a bad SACK shows during it
    const start = performance.now();
    for (let i = 0; i < 150; i++) {
      await sleep(Math.max(0, start + i * 20 - performance.now()));
      p.dc.send(clientMessage(1000 + i));
    }
    await waitFor(() => p.inbound.length === sent.length + 150, 5000, 'all 150 arrived');
    await sleep(2000); // past SACK_DELAY_MS, and past the client's retransmission timeout
    const sacks = lane.counters.sacks - before.sacks;
    assert.ok(sacks >= 70 && sacks <= 80, `one SACK per two packets (RFC 9260 §6.2), not one per packet as werift sends: ${sacks} for 150`);
    assert.equal(lane.counters.sackOnly - before.sackOnly, sacks, 'each alone: there was no DATA to carry them');
    // Had a SACK missed or misreported a chunk, the client would have timed it out and abandoned it:
    // a FORWARD-TSN (handed to werift) or a retransmission (a duplicate) would show here.
    assert.equal(receiver.counters.handedOver, handedOver, 'no FORWARD-TSN: every chunk was acknowledged in time');
    assert.equal(receiver.counters.duplicates, 0, 'nothing sent twice');
  } finally {
    p.close();
  }
});

test('a client that talks and listens gets its SACKs on the server’s DATA', async () => {
  // The server answers each message at once, as the relay forwards other talkers' frames to this client.
  const p = await connect((bytes, peer) => peer.send(bytes));
  try {
    const lane = p.peer.lane!;
    const start = performance.now();
    for (let i = 0; i < 100; i++) {
      await sleep(Math.max(0, start + i * 20 - performance.now()));
      p.dc.send(clientMessage(i));
    }
    await waitFor(() => p.received.length === 100, 5000, 'every echo came back');
    await sleep(2000);
    assert.ok(lane.counters.sacks >= 50, `SACKs sent: ${lane.counters.sacks}`);
    assert.ok(lane.counters.sackOnly <= 3, `${lane.counters.sackOnly} of ${lane.counters.sacks} SACKs needed a packet of their own`);
    assert.equal(p.peer.receiver!.counters.handedOver, 0, 'no FORWARD-TSN: the SACKs on DATA acknowledged everything');
    assert.equal(p.peer.receiver!.counters.duplicates, 0);
  } finally {
    p.close();
  }
});

test('under 20 % loss on the way in the client abandons what was lost; the rest arrive once and the lane keeps working', async () => {
  const p = await connect();
  const loss = dropInbound(VOICE_RECORD_MIN);
  try {
    const start = performance.now();
    for (let i = 0; i < 150; i++) {
      await sleep(Math.max(0, start + i * 20 - performance.now()));
      p.dc.send(clientMessage(i));
    }
    await sleep(1500);
    loss.stop();
    const ids = p.inbound.map((b) => messageId(b));
    assert.equal(new Set(ids).size, ids.length, 'none twice');
    assert.equal(ids.length, 150 - loss.dropped, `all but the ${loss.dropped} dropped: the client retransmitted none (maxRetransmits 0)`);
    for (const [k, id] of ids.entries()) assert.deepEqual(p.inbound[k], numberedMessage(id));
    const receiver = p.peer.receiver!;
    assert.ok(receiver.counters.handedOver > 0, `the client's FORWARD-TSNs went to werift: ${JSON.stringify(receiver.counters)}`);
    // After the loss: every message arrives, the client's window is free.
    for (let i = 0; i < 50; i++) {
      p.dc.send(clientMessage(500 + i));
      await sleep(10);
    }
    await waitFor(() => p.inbound.filter((b) => messageId(b) >= 500).length === 50, 5000, 'all 50 after the loss arrived');
    assert.equal(p.peer.receiver!.counters.duplicates, 0, 'nothing retransmitted');
    assert.equal(p.pc.connectionState, 'connected');
  } finally {
    loss.stop();
    p.close();
  }
});

test('junk sent to the lane’s UDP ports (short, truncated, not DTLS) is shrugged off; the lane goes on', async () => {
  const p = await connect();
  const junk = dgram.createSocket('udp4');
  try {
    // The server's host candidates on 127.0.0.1, from its answer.
    const sdp = p.pc.remoteDescription!.sdp;
    const ports = [...sdp.matchAll(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/g)].map((m) => Number(m[1]));
    assert.ok(ports.length > 0, 'the answer has a loopback candidate');
    const record = Buffer.from([23, 254, 253, 0, 1, 0, 0, 0, 0, 0, 9, 0, 24, ...new Array(24).fill(7)]);
    const datagrams = [
      Buffer.from([23]), // shorter than a record header: werift's own parser throws on it
      Buffer.concat([record, Buffer.from([23, 0, 0])]), // a record, then part of a header
      Buffer.from([23, 254, 253, 0, 1, 0, 0, 0, 0, 0, 1, 0xff, 0xff]), // a header announcing 64 KiB
      record, // whole, but forged
      Buffer.from([22, 254, 253]), Buffer.alloc(0), Buffer.from('GET / HTTP/1.1\r\n'),
    ];
    const receiver = p.peer.receiver!;
    const before = { ...receiver.counters };
    for (const port of ports) for (const d of datagrams) junk.send(d, port, '127.0.0.1');
    await sleep(300);
    assert.equal(p.peer.isOpen, true);
    const c = receiver.counters;
    assert.equal(c.datagrams - before.datagrams, ports.length, 'the forged record was taken and opened here (and refused), once per port');
    assert.equal(c.messages, before.messages, 'nothing delivered');
    assert.ok(c.toWerift > before.toWerift, 'the rest went werift’s way');
    assert.equal(c.errors, 0, 'nothing thrown inside the lane');
    p.peer.send(numberedMessage(1));
    p.dc.send(clientMessage(2));
    await waitFor(() => p.received.length === 1 && p.inbound.length === 1, 5000, 'a message each way after the junk');
  } finally {
    junk.close();
    p.close();
  }
});
