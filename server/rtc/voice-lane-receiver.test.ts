/**
 * VoiceLaneReceiver on werift's own SCTP association class (loaded from its
 * CommonJS build: the ESM bundle does not export it) with stand-ins for DTLS
 * (records framed, not encrypted: dtls-record-codec.test.ts covers that) and
 * ICE. What it takes, what it hands to werift, and — the part most worth
 * proving — that a SACK changes the association exactly as werift's own
 * receiveSackChunk does, over seeded random SACK sequences with gaps, losses
 * and abandonment. Against libwebrtc and Chromium: e2e/integration/voice-lane.test.ts,
 * e2e/browser/voice-lane.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { crc32c, type RTCDataChannel } from 'werift';
import { MAX_OUT_OF_ORDER, MAX_TSN_AHEAD, VoiceLaneReceiver } from './voice-lane-receiver.ts';
import { patchWeriftSctp } from './werift-patches.ts';
import { PPID_BINARY, PPID_BINARY_EMPTY, PPID_STRING, SCTP_FLAGS_WHOLE_UNORDERED, SCTP_FLAG_FIRST, SCTP_FLAG_UNORDERED } from './sctp-wire.ts';
import { SCTP_ESTABLISHED, type DataChunkLike, type SctpAssociation, type WeriftTransports } from './werift-internals.ts';
import { prng } from '../../shared/util/prng.ts';

const require = createRequire(import.meta.url);
const { SCTP } = require('../../node_modules/werift/lib/sctp/src/sctp.js') as { SCTP: new (transport: object, port: number) => SctpAssociation };

const STREAM = 0;
const PEER_TSN = 5000;

type Association = SctpAssociation & {
  timerCalls: string[];
  rttSamples: number[];
  advancedPeerAckTsn: number;
  transmit(): Promise<void>;
  /** werift's own SACK handling, the reference. */
  receiveSackChunk(sack: { cumulativeTsn: number; advertisedRwnd: number; gaps: [number, number][]; duplicates: number[] }): Promise<void>;
};

/** werift's SCTP, established, its timers and RTT estimator recorded instead of run. */
function association(): Association {
  const sctp = new SCTP({ onData: undefined, send: async () => {} }, 5000) as Association;
  patchWeriftSctp(sctp);
  Object.assign(sctp, {
    associationState: SCTP_ESTABLISHED, state: 'connected', remotePort: 5000, remoteVerificationTag: 7, ssthresh: 64 * 1160,
    lastReceivedTsn: PEER_TSN - 1, timerCalls: [], rttSamples: [],
  });
  sctp.timer3Start = () => { sctp.timerCalls.push('start'); sctp.timer3Handle = 1; };
  sctp.timer3Restart = () => { sctp.timerCalls.push('restart'); sctp.timer3Handle = 1; };
  sctp.timer3Cancel = () => { sctp.timerCalls.push('cancel'); sctp.timer3Handle = undefined; };
  sctp.updateRto = (r: number) => { sctp.rttSamples.push(Math.round(r * 1000)); };
  sctp.transmit = async () => {};
  return sctp;
}

/** A receiver on `sctp`; records go through a framing stand-in for the codec, acks to a recording sender. */
function receiver(sctp: SctpAssociation) {
  const got: { messages: Uint8Array[]; texts: number; acks: boolean[]; wakes: number; toWerift: Buffer[]; plainToWerift: Buffer[]; weriftCaught: number } =
    { messages: [], texts: 0, acks: [], wakes: 0, toWerift: [], plainToWerift: [], weriftCaught: 0 };
  const udp = Object.assign(new EventEmitter(), { send() {} });
  const dtls = {
    // As werift's DtlsSocket.udpOnMessage: its record parser reads a header before checking the length.
    udpOnMessage: (data: Buffer) => {
      for (let at = 0; at < data.length; at += 13 + data.readUInt16BE(at + 11));
      got.toWerift.push(data);
    },
    onData: { execute: (plain: Buffer) => got.plainToWerift.push(Buffer.from(plain)) },
    transport: { socket: { onData: (_d: Buffer) => {} } },
  };
  const iceTransport = dtls.transport.socket;
  iceTransport.onData = dtls.udpOnMessage; // as werift's DtlsSocket sets it
  // As werift's UdpTransport listener: everything it passes on is inside a try/catch.
  const weriftUdp = (data: Buffer) => {
    try {
      iceTransport.onData(data);
    } catch {
      got.weriftCaught++;
    }
  };
  udp.on('message', weriftUdp);
  const ice = { protocols: [{ transport: { socket: udp } }], nominated: undefined, canSendApplicationData: () => true };
  const t = { sctp, channels: { dataChannelQueue: [] }, dtls, ice } as unknown as WeriftTransports;
  const opener = { open: (d: Buffer, at: number) => Buffer.from(d.subarray(at + 13, at + 13 + d.readUInt16BE(at + 11))) };
  const sender = { dataReceived: (urgent: boolean) => got.acks.push(urgent), wake: () => void got.wakes++, queuedBytes: 0 };
  const dc = { id: STREAM, messagesReceived: 0, bytesReceived: 0 } as unknown as RTCDataChannel;
  const r = new VoiceLaneReceiver(t, dc, opener, sender, (m) => got.messages.push(Uint8Array.from(m)), () => void got.texts++);
  /** A datagram as the UDP socket delivers it. */
  const arrive = (datagram: Buffer) => udp.emit('message', datagram, { address: '127.0.0.1', port: 9, family: 'IPv4', size: datagram.length });
  return { r, got, udp, weriftUdp, iceTransport, dtls, arrive, sender };
}

/** One application-data record framing `plain` (the stand-in opener reads it back). */
function record(plain: Buffer): Buffer {
  const h = Buffer.from([23, 254, 253, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0]);
  h.writeUInt16BE(plain.length, 11);
  return Buffer.concat([h, plain]);
}

function chunk(type: number, flags: number, body: Buffer): Buffer {
  const c = Buffer.alloc((4 + body.length + 3) & ~3);
  c[0] = type;
  c[1] = flags;
  c.writeUInt16BE(4 + body.length, 2);
  body.copy(c, 4);
  return c;
}

function data(tsn: number, payload: Buffer, ppid = PPID_BINARY, flags = SCTP_FLAGS_WHOLE_UNORDERED, stream = STREAM): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b.writeUInt32BE(tsn, 0);
  b.writeUInt16BE(stream, 4);
  b.writeUInt32BE(ppid, 8);
  payload.copy(b, 12);
  return chunk(0, flags, b);
}

function sack(cumulative: number, gaps: [number, number][] = [], rwnd = 1 << 20): Buffer {
  const b = Buffer.alloc(12 + 4 * gaps.length);
  b.writeUInt32BE(cumulative >>> 0, 0);
  b.writeUInt32BE(rwnd, 4);
  b.writeUInt16BE(gaps.length, 8);
  gaps.forEach(([s, e], i) => {
    b.writeUInt16BE(s, 12 + 4 * i);
    b.writeUInt16BE(e, 14 + 4 * i);
  });
  return chunk(3, 0, b);
}

function packet(sctp: SctpAssociation, ...chunks: Buffer[]): Buffer {
  const p = Buffer.concat([Buffer.alloc(12), ...chunks]);
  p.writeUInt16BE(5000, 0);
  p.writeUInt16BE(5000, 2);
  p.writeUInt32BE(sctp.localVerificationTag, 4);
  p.writeUInt32LE(crc32c(p), 8);
  return p;
}

test('whole unordered DATA is delivered at once with its exact bytes; werift’s receive state follows; the SACK is left to the sender', () => {
  const sctp = association();
  const { got, arrive } = receiver(sctp);
  arrive(record(packet(sctp, data(PEER_TSN, Buffer.from('one')), data(PEER_TSN + 1, Buffer.alloc(1), PPID_BINARY_EMPTY))));
  assert.deepEqual(got.messages.map((m) => Buffer.from(m).toString()), ['one', '']);
  assert.equal(sctp.lastReceivedTsn, PEER_TSN + 1);
  assert.equal(sctp.sackNeeded, true);
  assert.deepEqual(got.acks, [false], 'one packet: the SACK may wait for DATA going back');
  arrive(record(packet(sctp, data(PEER_TSN + 2, Buffer.from('text'), PPID_STRING))));
  assert.equal(got.texts, 1, 'a text message is reported, not delivered as voice');
  assert.deepEqual(got.toWerift, [], 'werift saw none of it');
});

test('a gap and a duplicate make the SACK urgent; the cumulative TSN jumps once the gap fills', () => {
  const sctp = association();
  const { got, arrive } = receiver(sctp);
  arrive(record(packet(sctp, data(PEER_TSN + 2, Buffer.from('c')))));
  assert.equal(sctp.lastReceivedTsn, PEER_TSN - 1);
  assert.deepEqual([...sctp.sackMisOrdered], [PEER_TSN + 2]);
  arrive(record(packet(sctp, data(PEER_TSN, Buffer.from('a')))));
  arrive(record(packet(sctp, data(PEER_TSN + 1, Buffer.from('b')))));
  assert.equal(sctp.lastReceivedTsn, PEER_TSN + 2);
  assert.equal(sctp.sackMisOrdered.size, 0);
  arrive(record(packet(sctp, data(PEER_TSN + 1, Buffer.from('b')))));
  assert.deepEqual(got.messages.map((m) => Buffer.from(m).toString()), ['c', 'a', 'b'], 'unordered: delivered on arrival, the duplicate not again');
  assert.deepEqual(sctp.sackDuplicates, [PEER_TSN + 1]);
  assert.deepEqual(got.acks, [true, true, false, true]);
});

test('anything else goes to werift: other chunks, fragments, other streams, DCEP, a bad checksum is dropped', () => {
  const sctp = association();
  const { r, got, arrive } = receiver(sctp);
  const forwardTsn = chunk(192, 0, Buffer.from([0, 0, 0x13, 0x88]));
  const cases = [
    packet(sctp, forwardTsn, data(PEER_TSN, Buffer.from('x'))),
    packet(sctp, data(PEER_TSN, Buffer.from('x'), PPID_BINARY, SCTP_FLAG_UNORDERED | SCTP_FLAG_FIRST)),
    packet(sctp, data(PEER_TSN, Buffer.from('x'), PPID_BINARY, SCTP_FLAGS_WHOLE_UNORDERED, 2)),
    packet(sctp, data(PEER_TSN, Buffer.from([3]), 50)),
  ];
  for (const p of cases) arrive(record(p));
  assert.deepEqual(got.plainToWerift, cases, 'handed over whole, checksum intact');
  assert.equal(r.counters.handedOver, 4);
  const bad = packet(sctp, data(PEER_TSN, Buffer.from('x')));
  bad[bad.length - 1]! ^= 1;
  arrive(record(bad));
  assert.equal(r.counters.malformed, 1);
  assert.equal(got.messages.length, 0);
  assert.equal(sctp.lastReceivedTsn, PEER_TSN - 1, 'nothing taken from any of them here');
  // Not application data (a handshake record, STUN): werift's own listener, unchanged.
  const handshake = Buffer.from([22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
  arrive(handshake);
  assert.deepEqual(got.toWerift, [handshake]);
});

test('close gives werift back its listener and its DTLS entry point', () => {
  const sctp = association();
  const { r, udp, weriftUdp, iceTransport, dtls } = receiver(sctp);
  assert.notEqual(udp.listeners('message')[0], weriftUdp);
  assert.notEqual(iceTransport.onData, dtls.udpOnMessage);
  r.close();
  assert.deepEqual(udp.listeners('message'), [weriftUdp]);
  assert.equal(iceTransport.onData, dtls.udpOnMessage);
});

test('a datagram that is not whole application data goes to werift’s own listener, and a throw of werift’s parser on it is contained in the lane’s hook', () => {
  const sctp = association();
  const { r, got, arrive } = receiver(sctp);
  const ok = record(packet(sctp, data(PEER_TSN, Buffer.from('ok'))));
  for (const bad of [Buffer.from([23]), Buffer.concat([ok, Buffer.from([23, 0, 0])]), Buffer.from([23, 254, 253, 0, 1, 0, 0, 0, 0, 0, 1, 0xff, 0xff])]) {
    assert.doesNotThrow(() => arrive(bad), 'a throw here would leave the socket listener and end the thread');
  }
  assert.equal(r.counters.toWerift, 3, 'all three went werift’s way (its listener, then the lane’s hook at its ICE transport)');
  assert.equal(got.toWerift.length, 1, 'werift’s parser took the whole-record one and threw on the two cut short');
  assert.equal(got.weriftCaught, 0, 'the hook caught those throws: werift’s listener never had to');
  assert.equal(r.counters.datagrams, 0);
  arrive(ok);
  assert.deepEqual(got.messages.map((m) => Buffer.from(m).toString()), ['ok'], 'and the lane goes on');
});

test('DATA far above the cumulative TSN, or above a full gap, is neither kept nor delivered', () => {
  const sctp = association();
  const { r, got, arrive } = receiver(sctp);
  arrive(record(packet(sctp, data(PEER_TSN + MAX_TSN_AHEAD + 1, Buffer.from('far')))));
  assert.equal(sctp.sackMisOrdered.size, 0);
  // Fill the gap set: every other TSN above a hole at PEER_TSN, in packets of 64 chunks.
  for (let k = 0; k < MAX_OUT_OF_ORDER / 64 + 2; k++) {
    const chunks = Array.from({ length: 64 }, (_, i) => data(PEER_TSN + 2 * (64 * k + i) + 1, Buffer.from([1])));
    arrive(record(packet(sctp, ...chunks)));
  }
  assert.equal(sctp.sackMisOrdered.size, MAX_OUT_OF_ORDER);
  assert.equal(got.messages.length, MAX_OUT_OF_ORDER, 'only those kept were delivered');
  assert.equal(r.counters.outOfWindow, 1 + 128);
  // The hole fills: everything kept below the next hole is acknowledged at once.
  arrive(record(packet(sctp, data(PEER_TSN, Buffer.from([2])))));
  assert.equal(sctp.lastReceivedTsn, PEER_TSN + 1);
});

test('random chunks with a valid tag and checksum never throw and never deliver what is not whole voice DATA', () => {
  const rnd = prng(7);
  const sctp = association();
  const { r, got, arrive } = receiver(sctp);
  // Chunks in flight, so that random SACKs walk the sent queue (gap blocks, misses, abandonment).
  const now = Date.now() / 1000;
  sctp.lastSackedTsn = 99;
  sctp.sentQueue = Array.from({ length: 50 }, (_, i) => sentChunk(100 + i, now, 0));
  sctp.flightSize = 5000;
  for (let i = 0; i < 3000; i++) {
    const body = Buffer.from(Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256)));
    if (body.length >= 4) {
      body[0] = [0, 3, 0, 3, 192, 6, Math.floor(rnd() * 256)][Math.floor(rnd() * 7)]!; // DATA and SACK most often
      if (rnd() < 0.5) body.writeUInt16BE(Math.min(body.length, 4 + Math.floor(rnd() * 70)), 2);
      if (body[0] === 3 && body.length >= 16 && rnd() < 0.7) {
        body.writeUInt32BE(99 + Math.floor(rnd() * 20), 4); // a cumulative TSN among those in flight
        body.writeUInt16BE(Math.floor((body.length - 16) / 4), 12); // gap blocks filling the rest
        body.writeUInt16BE(0, 14);
      }
    }
    assert.doesNotThrow(() => arrive(record(packet(sctp, body))));
  }
  assert.equal(r.counters.errors, 0);
  assert.ok(r.counters.malformed + r.counters.handedOver > 1000, JSON.stringify(r.counters));
  for (const m of got.messages) assert.ok(m.length > 0, 'only whole DATA chunks of the voice stream were delivered');
  assert.equal(typeof sctp.lastReceivedTsn, 'number');
});

function sentChunk(tsn: number, now: number, maxRetransmits: number | undefined): DataChunkLike & Record<string, unknown> {
  return {
    type: 0, tsn, flags: SCTP_FLAGS_WHOLE_UNORDERED, streamId: STREAM, streamSeqNum: 0, protocol: PPID_BINARY, userData: new Uint8Array(100),
    bookSize: 100, sentCount: 1, sentTime: now - 0.04, acked: false, abandoned: false, misses: 0, retransmit: false, maxRetransmits, expiry: undefined,
  };
}

function state(s: Association) {
  return {
    lastSackedTsn: s.lastSackedTsn, flightSize: s.flightSize, cwnd: s.cwnd, ssthresh: s.ssthresh, partialBytesAcked: s.partialBytesAcked,
    fastRecoveryExit: s.fastRecoveryExit, fastRecoveryTransmit: s.fastRecoveryTransmit, peerAdvertisedRwnd: s.peerAdvertisedRwnd,
    advancedPeerAckTsn: s.advancedPeerAckTsn, forwardTsn: (s.forwardTsnChunk as { cumulativeTsn?: number } | undefined)?.cumulativeTsn,
    sent: s.sentQueue.map((c) => [c.tsn, c.acked, c.misses, c.retransmit, (c as unknown as { abandoned: boolean }).abandoned].join()),
    timers: s.timerCalls.join(), rtt: s.rttSamples.join(),
  };
}

test('a SACK wakes the sender when messages wait in its own queue (held by the window), not when nothing is left to send', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_800_000_000_000 });
  for (const waiting of [0, 120]) {
    const sctp = association();
    const { arrive, got, sender } = receiver(sctp);
    sender.queuedBytes = waiting;
    const now = Date.now() / 1000;
    const base = 500;
    sctp.lastSackedTsn = base - 1;
    sctp.advancedPeerAckTsn = base - 1;
    sctp.sentQueue = [sentChunk(base, now, 0), sentChunk(base + 1, now, 0)];
    sctp.flightSize = 200;
    // Everything acknowledged, no gap, werift's queue empty: only the lane's own queue can want a transmit.
    arrive(record(packet(sctp, sack(base + 1))));
    assert.equal(sctp.sentQueue.length, 0, 'the SACK was taken');
    assert.equal(got.wakes, waiting > 0 ? 1 : 0, `${waiting} bytes waiting`);
  }
});

test('a SACK changes the association exactly as werift’s receiveSackChunk does (1 200 random SACKs: gaps, losses, abandonment, window growth)', (t) => {
  // One clock for both: an RTT sample must not differ by the time between the two calls.
  t.mock.timers.enable({ apis: ['Date'], now: 1_800_000_000_000 });
  const rnd = prng(20261124);
  for (let run = 0; run < 40; run++) {
    const theirs = association();
    const ours = association();
    const { arrive } = receiver(ours);
    const now = Date.now() / 1000;
    const base = (0xfffffff0 + run * 7) >>> 0; // TSNs wrap around 2³² in some runs
    // Voice chunks (maxRetransmits 0) and, in some runs, reliable ones (werift's own DCEP).
    const reliable = run % 4 === 0;
    const cwnd = 2 * 1160 + Math.floor(rnd() * 4) * 1160;
    for (const s of [theirs, ours]) {
      s.lastSackedTsn = (base - 1) >>> 0;
      s.advancedPeerAckTsn = (base - 1) >>> 0;
      s.cwnd = cwnd;
      s.ssthresh = [1160, 64 * 1160][run % 2]!;
      s.sentQueue = Array.from({ length: 60 }, (_, i) => sentChunk((base + i) >>> 0, now, reliable && i % 3 === 0 ? undefined : 0));
      s.flightSize = 60 * 100;
    }
    let cumulative = (base - 1) >>> 0;
    for (let step = 0; step < 30; step++) {
      // The cumulative TSN moves on by 0–3, or (rarely) an old SACK arrives late; 0–3 gap blocks above it.
      const late = rnd() < 0.1;
      const cum = late ? ((cumulative - 2) >>> 0) : (cumulative = (cumulative + Math.floor(rnd() * 6)) >>> 0);
      const gaps: [number, number][] = [];
      let at = 2;
      for (let g = Math.floor(rnd() * 4); g > 0; g--) {
        const start = at + Math.floor(rnd() * 3);
        const end = start + Math.floor(rnd() * 3);
        gaps.push([start, end]);
        at = end + 2;
      }
      const rwnd = 60_000 + Math.floor(rnd() * 1000);
      void theirs.receiveSackChunk({ cumulativeTsn: cum, advertisedRwnd: rwnd, gaps, duplicates: [] });
      arrive(record(packet(ours, sack(cum, gaps, rwnd))));
      assert.deepEqual(state(ours), state(theirs), `run ${run}, SACK ${step}: cumulative ${cum}, gaps ${JSON.stringify(gaps)}`);
    }
  }
});
