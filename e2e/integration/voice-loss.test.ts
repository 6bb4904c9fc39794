/**
 * Under loss, the server→client direction must not retransmit: a lost frame is
 * gone, and the ones after it arrive on time. Loss is injected on the wire by
 * dropping a deterministic 20 % of werift's DTLS application records that carry
 * voice DATA (the server's UDP sends go through node:dgram; libwebrtc's do not).
 * Stock werift 0.25.2 ignores maxRetransmits 0 and would deliver every frame,
 * some of them late; see server/rtc/werift-patches.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { startTestServer, recordDatagrams, joinChannel, waitFor, sleep, type TestServer } from './harness.ts';

const FRAMES = 150;
const PAYLOAD = 160; // bigger than any SCTP control record, so DATA records are told apart by size
const DATA_RECORD_MIN = PAYLOAD + 16 + 16 + 13; // payload + voice header + SCTP DATA chunk header + DTLS header

let t: TestServer;
const originalSend = dgram.Socket.prototype.send;
const wire = { dropping: false, dataRecords: 0, dropped: 0 };

before(async () => {
  t = await startTestServer();
  type SendArgs = Parameters<typeof originalSend>;
  dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: SendArgs) {
    const msg = args[0];
    if (wire.dropping && Buffer.isBuffer(msg) && msg[0] === 23 && msg.length >= DATA_RECORD_MIN) {
      wire.dataRecords++;
      if (wire.dataRecords % 5 === 3) {
        wire.dropped++;
        const cb = args.find((a) => typeof a === 'function') as ((e: Error | null, n: number) => void) | undefined;
        cb?.(null, msg.length);
        return;
      }
    }
    return (originalSend as (...a: SendArgs) => void).apply(this, args);
  } as typeof originalSend;
});

after(async () => {
  dgram.Socket.prototype.send = originalSend;
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
