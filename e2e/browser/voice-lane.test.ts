/**
 * The server's voice lane (server/rtc/voice-lane-sender.ts and
 * voice-lane-receiver.ts) against real Chromium: a VoicePeer in this process
 * answers an RTCPeerConnection in a blank page (no app, no relay), and every
 * UDP datagram the server sends or receives goes through node:dgram here,
 * where the test counts and drops them. Chromium must accept the bundled
 * packets and the server's SACKs as ordinary SCTP — each message its own
 * DataChannel message with its exact bytes — and, under loss, see the lost
 * ones never come back while the association stays up; its messages to the
 * server must arrive through the fast receive path, once each, with loss on
 * the way in handled by Chromium abandoning what was lost.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { VoicePeer } from '../../server/rtc/voice-peer.ts';
import { VOICE_CHANNEL_INIT, VOICE_CHANNEL_LABEL } from '../../shared/voice/constants.ts';
import { sleep, waitFor } from '../wait.ts';
import { launchChromium, type Browser } from './chromium.ts';
import installWireLoss, { DATA_RECORDS, DROPPED, DROPPING, WIRE_SLOTS, dropInbound, messageId, numberedMessage } from '../integration/wire-loss.ts';
import { hex } from '../integration/harness.ts';
import { DTLS_RECORD_HEADER, MAX_SCTP_PACKET, SCTP_DATA_CHUNK_HEADER } from '../../server/rtc/sctp-wire.ts';

const PAYLOAD = 160;
const VOICE_RECORD_MIN = PAYLOAD + SCTP_DATA_CHUNK_HEADER + DTLS_RECORD_HEADER;
const wire = new Int32Array(new SharedArrayBuffer(WIRE_SLOTS * 4));

let browser: Browser;
let page: Page;
let peer: VoicePeer;
/** What the server received from the page. */
const inbound: Uint8Array[] = [];

before(async () => {
  installWireLoss({ shared: wire.buffer as SharedArrayBuffer, minBytes: VOICE_RECORD_MIN });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto('about:blank');
  const offer = await page.evaluate(async ({ label, init }) => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const dc = pc.createDataChannel(label, { ...init });
    dc.binaryType = 'arraybuffer';
    const w = window as unknown as { pc: RTCPeerConnection; dc: RTCDataChannel; got: number[][]; open: boolean };
    w.pc = pc;
    w.dc = dc;
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
  }, { label: VOICE_CHANNEL_LABEL, init: VOICE_CHANNEL_INIT });
  peer = new VoicePeer({ portRange: null, extraHostAddresses: ['127.0.0.1'], announcedAddress: null, dtlsKeys: null }, (b) => void inbound.push(Uint8Array.from(b)), () => {});
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


const got = (): Promise<number[][]> => page.evaluate(() => (window as unknown as { got: number[][] }).got.splice(0));

test('Chromium takes bundled packets: each message once, its own DataChannel message, exact bytes', async () => {
  const lane = peer.lane;
  assert.ok(lane, 'the fast send path attached');
  const sizes = [0, 1, 160, 1100, 300, 5, 999, 64, 64, 64, 64, 200, 400, 800, 3, 150, 150, 150, 150, 150, 1300, 3000];
  const sent = sizes.map((n, i) => numberedMessage(i, Math.max(4, n)).subarray(0, n));
  const packets0 = lane.counters.packets;
  const messages0 = lane.counters.messages;
  for (const m of sent) peer.send(m);
  assert.equal(lane.counters.messages - messages0, sent.length, 'all through the fast path, none through werift’s');
  const all: number[][] = [];
  await waitFor(async () => (all.push(...(await got())), all.length >= sent.length), 10_000, 'Chromium received every message');
  await sleep(300);
  all.push(...(await got()));
  assert.deepEqual(all.map((b) => hex(Uint8Array.from(b))).sort(), sent.map(hex).sort(), 'each message once, with its exact bytes (the empty one empty)');
  const packets = lane.counters.packets - packets0;
  const total = sizes.reduce((a, n) => a + Math.max(1, n) + SCTP_DATA_CHUNK_HEADER * Math.ceil(Math.max(1, n) / 1160), 0);
  assert.ok(packets >= Math.ceil(total / MAX_SCTP_PACKET) && packets <= 12, `${sent.length} messages (${total} bytes of DATA chunks) left in ${packets} packets`);
});

test('under 20 % loss Chromium sees no retransmission and the association stays up', async () => {
  const TURNS = 100;
  for (const slot of [DATA_RECORDS, DROPPED]) Atomics.store(wire, slot, 0);
  Atomics.store(wire, DROPPING, 1);
  const start = performance.now();
  for (let i = 0; i < TURNS; i++) {
    await sleep(Math.max(0, start + i * 20 - performance.now()));
    peer.send(numberedMessage(2 * i));
    peer.send(numberedMessage(2 * i + 1));
  }
  await sleep(2500); // past werift's RTO: a retransmission would arrive by now
  Atomics.store(wire, DROPPING, 0);
  const records = Atomics.load(wire, DATA_RECORDS);
  const dropped = Atomics.load(wire, DROPPED);
  assert.equal(records, TURNS, `one voice record per turn went out: ${records} (more means retransmissions)`);
  assert.equal(dropped, TURNS / 5);
  const received = await got();
  const ids = received.map(messageId);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  assert.equal(ids.length, 2 * (TURNS - dropped), 'both messages of every record that was not dropped, none of a dropped one');
  for (const [k, id] of ids.entries()) assert.deepEqual(Uint8Array.from(received[k]!), numberedMessage(id), `message ${id} has its exact bytes`);
  // Still alive: one more message gets through.
  peer.send(numberedMessage(9999));
  await waitFor(async () => (await got()).some((b) => messageId(b) === 9999), 5000, 'a message after the loss arrived');
  assert.equal(peer.isOpen, true);
});

test('under loss Chromium gets a message in fragments whole or not at all, never retransmitted', async () => {
  const TURNS = 40;
  const BIG = 3000; // three DATA chunks, each in its own packet
  for (const slot of [DATA_RECORDS, DROPPED]) Atomics.store(wire, slot, 0);
  Atomics.store(wire, DROPPING, 1);
  const start = performance.now();
  for (let i = 0; i < TURNS; i++) {
    await sleep(Math.max(0, start + i * 20 - performance.now()));
    peer.send(numberedMessage(i, BIG));
  }
  await sleep(2500);
  Atomics.store(wire, DROPPING, 0);
  assert.equal(Atomics.load(wire, DATA_RECORDS), 3 * TURNS, 'three records per message, none sent again');
  const survives = (i: number) => [1, 2, 3].every((k) => (3 * i + k) % 5 !== 3);
  const received = await got();
  const ids = received.map(messageId);
  assert.deepEqual([...ids].sort((a, b) => a - b), Array.from({ length: TURNS }, (_, i) => i).filter(survives), 'exactly the messages none of whose fragments was lost');
  for (const [k, id] of ids.entries()) assert.deepEqual(Uint8Array.from(received[k]!), numberedMessage(id, BIG), `message ${id} whole`);
  peer.send(numberedMessage(9998, BIG));
  await waitFor(async () => (await got()).some((b) => messageId(b) === 9998), 5000, 'a message after the loss arrived');
});

/** The page sends `messages`, `intervalMs` apart (0: all at once), and waits until they left its buffer (or 5 s). */
async function pageSends(messages: Uint8Array[], intervalMs: number): Promise<number> {
  return page.evaluate(async ({ all, every }) => {
    const dc = (window as unknown as { dc: RTCDataChannel }).dc;
    for (const m of all) {
      dc.send(new Uint8Array(m));
      if (every > 0) await new Promise((r) => setTimeout(r, every));
    }
    const until = Date.now() + 5000;
    while (dc.bufferedAmount > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return dc.bufferedAmount;
  }, { all: messages.map((m) => [...m]), every: intervalMs });
}

test('Chromium’s messages arrive through the fast receive path, exact bytes; the server’s SACKs acknowledge every one in time', async () => {
  const receiver = peer.receiver;
  assert.ok(receiver, 'the fast receive path attached');
  inbound.length = 0;
  const sizes = [1, 160, 1100, 64, 1300, 7];
  const sent = sizes.map((n, i) => numberedMessage(i, Math.max(4, n)).subarray(0, n));
  assert.equal(await pageSends(sent, 0), 0);
  await waitFor(() => inbound.length === sent.length, 5000, 'every message arrived');
  assert.deepEqual(inbound.map(hex).sort(), sent.map(hex).sort(), 'once each, exact bytes (the fragmented one too)');
  const lane = peer.lane!;
  const before = { messages: receiver.counters.messages, sacks: lane.counters.sacks, handedOver: receiver.counters.handedOver };
  const talk = Array.from({ length: 100 }, (_, i) => numberedMessage(100 + i));
  assert.equal(await pageSends(talk, 20), 0, 'Chromium sent everything');
  await waitFor(() => inbound.length === sent.length + 100, 5000, 'all 100 arrived');
  assert.equal(receiver.counters.messages - before.messages, 100, 'all taken by the fast path');
  await sleep(2000); // past Chromium's retransmission timeout
  // A chunk our SACKs missed would have been abandoned by Chromium: a FORWARD-TSN, handed to werift.
  assert.equal(receiver.counters.handedOver, before.handedOver, 'no FORWARD-TSN: every chunk acknowledged in time');
  assert.equal(receiver.counters.duplicates, 0, 'nothing sent twice');
  const sacks = lane.counters.sacks - before.sacks;
  assert.ok(sacks >= 45 && sacks <= 55, `one SACK per two packets: ${sacks} for 100`);
});

test('under 20 % loss on the way in Chromium abandons what was lost; the rest arrive once; the lane keeps working', async () => {
  inbound.length = 0;
  const receiver = peer.receiver!;
  const handedOver = receiver.counters.handedOver;
  const loss = dropInbound(VOICE_RECORD_MIN);
  try {
    assert.equal(await pageSends(Array.from({ length: 100 }, (_, i) => numberedMessage(i)), 20), 0);
    await sleep(1500);
  } finally {
    loss.stop();
  }
  assert.ok(receiver.counters.handedOver > handedOver, `Chromium's FORWARD-TSNs went to werift: ${JSON.stringify(receiver.counters)}`);
  const ids = inbound.map(messageId);
  assert.equal(new Set(ids).size, ids.length, 'none twice');
  assert.equal(ids.length, 100 - loss.dropped, `all but the ${loss.dropped} dropped (Chromium retransmitted none)`);
  for (const [k, id] of ids.entries()) assert.deepEqual(inbound[k], numberedMessage(id), `message ${id} exact`);
  inbound.length = 0;
  assert.equal(await pageSends(Array.from({ length: 30 }, (_, i) => numberedMessage(500 + i)), 10), 0, 'nothing stuck at Chromium');
  await waitFor(() => inbound.length === 30, 5000, 'all 30 after the loss arrived');
  assert.equal(peer.isOpen, true);
});
