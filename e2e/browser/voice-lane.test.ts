/**
 * The server's voice-lane send path (server/rtc/voice-lane-sender.ts) against
 * real Chromium: a VoicePeer in this process answers an RTCPeerConnection in a
 * blank page (no app, no relay), and every UDP datagram the server sends goes
 * through node:dgram here, where the test counts and drops them. Chromium must
 * accept the bundled packets as ordinary SCTP — each message its own
 * DataChannel message with its exact bytes — and, under loss, see the lost
 * ones never come back while the association stays up.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { VoicePeer } from '../../server/rtc/voice-peer.ts';
import { VOICE_CHANNEL_ID, VOICE_CHANNEL_LABEL } from '../../shared/voice/constants.ts';
import { sleep, waitFor } from '../wait.ts';
import { launchChromium, type Browser } from './chromium.ts';
import installWireLoss, { DATA_RECORDS, DROPPED, DROPPING, WIRE_SLOTS } from '../integration/wire-loss.ts';

const PAYLOAD = 160;
const VOICE_RECORD_MIN = PAYLOAD + 16 + 13;
const wire = new Int32Array(new SharedArrayBuffer(WIRE_SLOTS * 4));

let browser: Browser;
let page: Page;
let peer: VoicePeer;

before(async () => {
  installWireLoss({ shared: wire.buffer as SharedArrayBuffer, minBytes: VOICE_RECORD_MIN });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto('about:blank');
  const offer = await page.evaluate(async ({ label, id }) => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const dc = pc.createDataChannel(label, { negotiated: true, id, ordered: false, maxRetransmits: 0 });
    dc.binaryType = 'arraybuffer';
    const w = window as unknown as { pc: RTCPeerConnection; got: number[][]; open: boolean };
    w.pc = pc;
    w.got = [];
    w.open = false;
    dc.onopen = () => (w.open = true);
    dc.onmessage = (e: MessageEvent) => {
      if (e.data instanceof ArrayBuffer) w.got.push([...new Uint8Array(e.data)]);
      else w.got.push([-1]);
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
      setTimeout(resolve, 3000);
    });
    return pc.localDescription!.sdp;
  }, { label: VOICE_CHANNEL_LABEL, id: VOICE_CHANNEL_ID });
  peer = new VoicePeer({ portRange: null, extraHostAddresses: ['127.0.0.1'], announcedAddress: null, dtlsKeys: null }, () => {}, () => {});
  const opened = new Promise<void>((resolve) => peer.once('open', () => resolve()));
  const { sdp } = await peer.answer(offer, '127.0.0.1', null);
  await page.evaluate((answer) => (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: 'answer', sdp: answer }), sdp);
  await opened;
  await waitFor(async () => page.evaluate(() => (window as unknown as { open: boolean }).open), 10_000, 'the page’s channel opened');
});

after(async () => {
  peer?.close();
  await browser?.close();
});

function frame(i: number, size = PAYLOAD): Uint8Array {
  const b = new Uint8Array(size);
  for (let k = 0; k < size; k++) b[k] = (i * 31 + k) & 0xff;
  new DataView(b.buffer).setUint32(0, i);
  return b;
}

const got = (): Promise<number[][]> => page.evaluate(() => (window as unknown as { got: number[][] }).got.splice(0));

test('Chromium takes bundled packets: each message once, its own DataChannel message, exact bytes', async () => {
  const lane = peer.lane;
  assert.ok(lane, 'the fast send path attached');
  const sizes = [0, 1, 160, 1100, 300, 5, 999, 64, 64, 64, 64, 200, 400, 800, 3, 150, 150, 150, 150, 150, 1300, 3000];
  const sent = sizes.map((n, i) => frame(i, Math.max(4, n)).subarray(0, n));
  const packets0 = lane.counters.packets;
  for (const m of sent) peer.send(m);
  const all: number[][] = [];
  await waitFor(async () => (all.push(...(await got())), all.length >= sent.length), 10_000, 'Chromium received every message');
  await sleep(300);
  all.push(...(await got()));
  const key = (b: ArrayLike<number>) => Buffer.from(Array.from(b)).toString('hex');
  assert.deepEqual(all.map(key).sort(), sent.map(key).sort(), 'each message once, with its exact bytes (the empty one empty)');
  assert.ok(lane.counters.packets - packets0 <= 12, `${sent.length} messages left in ${lane.counters.packets - packets0} packets`);
});

test('under 20 % loss Chromium sees no retransmission and the association stays up', async () => {
  const TURNS = 100;
  Atomics.store(wire, DROPPING, 1);
  const start = performance.now();
  for (let i = 0; i < TURNS; i++) {
    await sleep(Math.max(0, start + i * 20 - performance.now()));
    peer.send(frame(2 * i));
    peer.send(frame(2 * i + 1));
  }
  await sleep(2500); // past werift's RTO: a retransmission would arrive by now
  Atomics.store(wire, DROPPING, 0);
  const records = Atomics.load(wire, DATA_RECORDS);
  const dropped = Atomics.load(wire, DROPPED);
  assert.equal(records, TURNS, `one voice record per turn went out: ${records} (more means retransmissions)`);
  const ids = (await got()).map((b) => Buffer.from(b).readUInt32BE(0));
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  assert.equal(ids.length, 2 * (TURNS - dropped), 'both messages of every record that was not dropped, none of a dropped one');
  // Still alive: one more message gets through.
  peer.send(frame(9999));
  await waitFor(async () => (await got()).some((b) => Buffer.from(b).readUInt32BE(0) === 9999), 5000, 'a message after the loss arrived');
  assert.equal(peer.isOpen, true);
});
