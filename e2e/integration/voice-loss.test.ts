/**
 * Under loss, the server→client direction must not retransmit: a lost frame is
 * gone, and the ones after it arrive on time. Loss is injected on the wire by
 * dropping a deterministic 20 % of werift's DTLS application records that carry
 * voice DATA (the server's UDP sends go through node:dgram in the relay shards'
 * threads, where wire-loss.ts patches it; libwebrtc's do not).
 * Stock werift 0.25.2 ignores maxRetransmits 0 and would deliver every frame,
 * some of them late; see server/rtc/werift-patches.ts.
 */
import { VOICE_HEADER_BYTES } from '../../shared/voice/constants.ts';
import { DTLS_RECORD_HEADER, SCTP_DATA_CHUNK_HEADER } from '../../server/rtc/sctp-wire.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startTestServer, recordDatagrams, joinChannel, waitFor, sleep, type TestServer } from './harness.ts';
import { DATA_RECORDS, DROPPED, DROPPING, WIRE_SLOTS, type WireLoss } from './wire-loss.ts';

const FRAMES = 150;
const PAYLOAD = 160; // bigger than any SCTP control record, so DATA records are told apart by size
const DATA_RECORD_MIN = PAYLOAD + VOICE_HEADER_BYTES + SCTP_DATA_CHUNK_HEADER + DTLS_RECORD_HEADER;

let t: TestServer;
const slots = new Int32Array(new SharedArrayBuffer(WIRE_SLOTS * 4));
const wire = {
  set dropping(on: boolean) {
    Atomics.store(slots, DROPPING, on ? 1 : 0);
  },
  get dataRecords(): number {
    return Atomics.load(slots, DATA_RECORDS);
  },
  get dropped(): number {
    return Atomics.load(slots, DROPPED);
  },
};

before(async () => {
  const loss: WireLoss = { shared: slots.buffer as SharedArrayBuffer, minBytes: DATA_RECORD_MIN };
  t = await startTestServer({}, { relayPreload: { url: new URL('./wire-loss.ts', import.meta.url).href, data: loss } });
});

after(async () => {
  await t.close();
});

test('a lost server→client datagram is never retransmitted; the rest arrive on time', async () => {
  const a = await t.client('talker');
  const b = await t.client('listener');
  // Music (96 kbps): 160-byte frames at 50/s are within its per-sender byte allowance; Lobby's 16 kbps would cap them.
  await joinChannel(a, 3);
  await joinChannel(b, 3);
  const got = recordDatagrams(b);
  const sentAt = new Map<number, number>();
  const delays: number[] = [];
  b.on('datagram', (d) => {
    const seq = Buffer.from(d).readUInt32BE(8);
    delays.push(performance.now() - sentAt.get(seq)!);
  });
  wire.dropping = true;
  const start = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    // A drift-free 20 ms schedule, as a real sender keeps.
    const due = start + i * 20;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sentAt.set(a.nextVoiceSequence, performance.now());
    assert.ok(a.sendVoice(new Uint8Array(PAYLOAD).fill(i & 0xff)));
  }
  // Long enough for any retransmission (werift's RTO is ≥ 1 s) to show up if it existed.
  await sleep(2500);
  wire.dropping = false;

  assert.equal(t.server.relay.counters.forwarded, FRAMES, `the relay forwarded every frame: ${JSON.stringify(t.server.relay.counters)}`);
  assert.equal(wire.dataRecords, FRAMES, `exactly one DATA record per frame went out: ${wire.dataRecords} for ${FRAMES} frames (more means retransmissions)`);
  assert.equal(wire.dropped, FRAMES / 5);
  assert.equal(got.length, FRAMES - wire.dropped, 'every frame not dropped on the wire arrived, and no dropped one came back');
  const seqs = got.map((d) => Buffer.from(d).readUInt32BE(8));
  assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
  delays.sort((x, y) => x - y);
  const p99 = delays[Math.floor(delays.length * 0.99)]!;
  assert.ok(p99 < 200, `no stale audio: p99 relay delay ${p99.toFixed(1)} ms`);
  await waitFor(() => b.state === 'connected' && b.voiceOpen, 1000, 'the lane is still open');
});
