/**
 * One bad peer never takes the server down: garbage on the control lane, on
 * the voice lane and at werift's UDP ports while two clients talk. The two keep
 * hearing each other and every bad input is refused or counted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import WebSocket from 'ws';
import fc from 'fast-check';
import { startTestServer, recordDatagrams, waitFor, sleep, withTimeout, type TestServer } from './harness.ts';
import { createNodeVoiceSession, controlUrl } from '../../client/node/node-voice-session.ts';
import { parseServerMessage, MAX_CONTROL_MESSAGE_BYTES, PROTOCOL_VERSION } from '../../shared/control/protocol.ts';
import { prng } from '../../shared/util/prng.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer({ VOICE_HANDSHAKE_TIMEOUT_MS: '1000' });
});
after(async () => {
  await t.close();
});


function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** Opens a raw control socket and resolves with the close code once the server hangs up. */
function rawSocket(): Promise<{ ws: WebSocket; errors: string[]; closed: Promise<number> }> {
  const ws = new WebSocket(controlUrl(t.server.url));
  const errors: string[] = [];
  ws.on('message', (data) => {
    const m = parseServerMessage(String(data));
    if (m.ok && m.value.type === 'error') errors.push(m.value.code);
  });
  ws.on('error', () => {});
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, errors, closed }));
    ws.once('error', reject);
  });
}

test('garbage on the control lane, the voice lane and the UDP ports does not disturb two talking clients', async () => {
  // The two who talk. Their answer SDPs tell us werift's UDP ports.
  const ports = new Set<number>();
  const a = createNodeVoiceSession({ url: controlUrl(t.server.url), nickname: 'alice', pingIntervalMs: 1000 });
  a.on('message', (m) => {
    if (m.type !== 'rtc-answer') return;
    for (const line of m.sdp.split('\r\n')) {
      const c = /^a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 (\d+) typ host/i.exec(line);
      if (c) ports.add(Number(c[1]));
    }
  });
  t.clients.push(a);
  const aOpen = new Promise<void>((r) => a.once('voice-open', r));
  await a.connect();
  await withTimeout(aOpen, 10_000, 'a voice open');
  const b = await t.client('bob');
  const c = await t.client('mallory');
  assert.ok(ports.size > 0, 'found werift UDP ports in the answer');
  const gotB = recordDatagrams(b);
  // Alice's frames are 16 + 40 bytes, payload filled with her frame counter: anything else Bob gets is junk that got through.
  const notAlice: Uint8Array[] = [];
  b.on('datagram', (d) => {
    const ok = d.length === 56 && Buffer.from(d).readUInt32BE(0) === a.sessionToken && d.subarray(16).every((x) => x === d[16]);
    if (!ok) notAlice.push(d);
  });

  // Alice talks through all of it on a 20 ms schedule.
  let talking = true;
  let sent = 0;
  let sentDuring = 0;
  let heardDuring = 0;
  const talker = (async () => {
    const start = performance.now();
    while (talking) {
      a.sendVoice(new Uint8Array(40).fill(sent & 0xff));
      sent++;
      const wait = start + sent * 20 - performance.now();
      if (wait > 0) await sleep(wait);
    }
  })();

  const rand = prng(0x5eed);
  const relayIn0 = t.server.relay.counters.datagramsIn;
  try {

    // 1. Control lane: random JSON, non-JSON, binary frames, wrong fields: each answered with an error, then closed for abuse.
    const junk = fc.sample(fc.oneof(fc.json(), fc.string(), fc.constantFrom('{"type":"hello"}', '{"type":"join","channelId":-1}', '[]', 'null', '{"type":"rtc-offer","sdp":""}')), { numRuns: 90, seed: 42 });
    const abusers = await Promise.all([rawSocket(), rawSocket(), rawSocket()]);
    for (const [i, text] of junk.entries()) abusers[i % 3]!.ws.send(text);
    abusers[0]!.ws.send(randomBytes(rand, 300));
    const abuseCodes = await Promise.all(abusers.map((s) => withTimeout(s.closed, 5000, 'abuser closed')));
    assert.deepEqual(abuseCodes, [4002, 4002, 4002], 'floods of invalid messages are closed for abuse');
    assert.ok(abusers.every((s) => s.errors.length > 0 && s.errors.every((e) => e === 'bad-message' || e === 'rate-limited')), 'each got reasons first');

    // An oversize frame is refused by the frame cap (1009), a silent socket by the handshake timeout (4003).
    const big = await rawSocket();
    big.ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, nickname: 'x'.repeat(MAX_CONTROL_MESSAGE_BYTES) }));
    assert.equal(await withTimeout(big.closed, 5000, 'oversize closed'), 1009);
    const silent = await rawSocket();
    assert.equal(await withTimeout(silent.closed, 5000, 'silent closed'), 4003);

    // 2. Voice lane: mallory sends random datagrams of every size; none may reach anyone.
    for (let i = 0; i < 600; i++) {
      const n = Math.floor(rand() * 1400);
      const bytes = randomBytes(rand, n);
      if (i % 3 === 0 && n >= 16) {
          bytes.writeUInt32BE(a.sessionToken, 0); // impersonation: a well-formed header with alice's token
          bytes.writeUInt32BE(0, 4);
        }
      c.sendDatagram(bytes);
      if (i % 50 === 0) await sleep(10);
    }

    // 3. UDP: random bytes, STUN-shaped and DTLS-shaped junk at every werift port.
    const udp = dgram.createSocket('udp4');
    for (let i = 0; i < 1500; i++) {
      const port = [...ports][i % ports.size]!;
      const n = 1 + Math.floor(rand() * 1200);
      const bytes = randomBytes(rand, n);
      if (i % 3 === 1 && n >= 20) {
        bytes[0] = 0x00; // STUN binding request with a valid cookie and a random body
        bytes[1] = 0x01;
        bytes.writeUInt16BE(Math.min(n - 20, 0xffff) & ~3, 2);
        bytes.writeUInt32BE(0x2112a442, 4);
      } else if (i % 3 === 2 && n >= 13) {
        bytes[0] = 20 + (i % 4); // DTLS record header: change_cipher_spec, alert, handshake, application_data
        bytes[1] = 0xfe;
        bytes[2] = 0xfd;
        bytes.writeUInt16BE(n - 13, 11);
      }
      udp.send(bytes, port, '127.0.0.1');
      if (i % 100 === 0) await sleep(5);
    }
    await sleep(500);
    udp.close();
    sentDuring = sent;
    heardDuring = gotB.length;

  } finally {
    // Stop talking a second after the garbage, whatever happened above.
    await sleep(1000);
    talking = false;
    await talker;
  }
  await sleep(300);

  // The server is up and the two kept talking.
  const health = await fetch(new URL('/health', t.server.url));
  assert.equal(health.status, 200);
  assert.equal(a.state, 'connected');
  assert.equal(b.state, 'connected');
  assert.ok(heardDuring >= sentDuring * 0.9, `bob heard alice during the garbage: ${heardDuring} of ${sentDuring}`);
  assert.ok(gotB.length >= sent * 0.95, `and after it: ${gotB.length} of ${sent}`);
  assert.equal(notAlice.length, 0, 'no random or impersonating datagram was relayed');
  assert.ok(gotB.length <= sent, 'bob got no more than alice sent');
  const stats = t.server.stats();
  assert.ok(stats.relay.datagramsIn - relayIn0 >= 600, 'the relay saw the junk');
  const d = stats.relay.drops;
  // The burst is sent unreliably (maxRetransmits 0), so a little of it may be lost on the way in.
  assert.ok(d.malformed + d.oversize + d['forged-token'] >= 500, `junk counted by reason: ${JSON.stringify(d)}`);
  assert.ok(d['forged-token'] >= 150, 'impersonation attempts were refused as forged');
  assert.ok(stats.control.closedForAbuse >= 3);
  // Recorded for the issue notes: rejections werift raised and the guard contained.
  console.log(`garbage: relay drops ${JSON.stringify(d)}; unhandled rejections contained: ${stats.process.unhandledRejections}`);
});
