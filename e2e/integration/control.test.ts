/**
 * Control-lane edges: abuse ends a session at once and stops applying its
 * messages; an oversize frame on a live session starts its grace period; an
 * offer without a data channel is refused with a reason.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestServer, waitFor, withTimeout, type TestServer } from './harness.ts';
import { controlUrl } from '../../client/node/node-voice-session.ts';
import { MAX_CONTROL_MESSAGE_BYTES, PROTOCOL_VERSION, parseServerMessage, type ServerMessage } from '../../shared/control/protocol.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function greeted(nickname: string): Promise<{ ws: WebSocket; token: number; messages: ServerMessage[]; closed: Promise<number> }> {
  const ws = new WebSocket(controlUrl(t.server.url));
  const messages: ServerMessage[] = [];
  ws.on('message', (d) => {
    const m = parseServerMessage(String(d));
    if (m.ok) messages.push(m.value);
  });
  ws.on('error', () => {});
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, nickname }));
  await waitFor(() => messages.some((m) => m.type === 'welcome'), 3000, 'welcome');
  const w = messages.find((m) => m.type === 'welcome');
  return { ws, token: w?.type === 'welcome' ? w.sessionToken : 0, messages, closed };
}

test('abuse ends the session at once: others see user-left "abuse", later messages are not applied', async () => {
  const watcher = await t.client('abuse-watcher', { waitVoice: false });
  const chats: string[] = [];
  const left: ServerMessage[] = [];
  watcher.on('message', (m) => {
    if (m.type === 'chat') chats.push(m.text);
    if (m.type === 'user-left') left.push(m);
  });
  const abuser = await greeted('abuser');
  // Stop reading: the server's close frame goes unanswered, as with a hostile client.
  abuser.ws.pause();
  for (let i = 0; i < 40; i++) abuser.ws.send('not json');
  abuser.ws.send(JSON.stringify({ type: 'chat', text: 'after the abuse close' }));
  await waitFor(() => left.length === 1, 3000, 'user-left for the abuser');
  const m = left[0]!;
  assert.ok(m.type === 'user-left' && m.sessionToken === abuser.token && m.reason === 'abuse');
  assert.equal(t.server.sessions.get(abuser.token), undefined, 'the session is gone');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(chats, [], 'nothing sent after the close was applied');
  assert.equal(t.server.stats().control.closedForAbuse, 1, 'counted once');
  abuser.ws.terminate();
});

test('an oversize frame on a live session closes the socket (1009) and the session waits in grace', async () => {
  const big = await greeted('big-sender');
  big.ws.send(JSON.stringify({ type: 'chat', text: 'x'.repeat(MAX_CONTROL_MESSAGE_BYTES) }));
  const code = await withTimeout(big.closed, 3000, 'closed');
  assert.ok(code === 1009 || code === 1006, `closed for size (${code})`);
  await waitFor(() => t.server.sessions.get(big.token)?.link === null, 3000, 'session detached');
  assert.ok(t.server.sessions.get(big.token), 'kept for its resume grace');
});

test('an offer without a data channel section is refused with rtc-failed', async () => {
  const c = await greeted('no-datachannel');
  c.ws.send(JSON.stringify({ type: 'rtc-offer', sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' }));
  await waitFor(() => c.messages.some((m) => m.type === 'error'), 3000, 'error');
  const e = c.messages.find((m) => m.type === 'error');
  assert.ok(e?.type === 'error' && e.code === 'rtc-failed' && e.ref === 'rtc-offer', JSON.stringify(e));
  assert.match(e.message, /m=application/);
  assert.ok(!c.messages.some((m) => m.type === 'rtc-answer'));
  c.ws.close(1000);
});

test('the server never sends ICE checks to candidates away from the client\'s own address', async () => {
  const dgram = await import('node:dgram');
  const wrtc = (await import('@roamhq/wrtc')).default;
  // A bystander on another loopback address: a reflection attack would aim the server's STUN at it.
  const victim = dgram.createSocket('udp4');
  let hits = 0;
  victim.on('message', () => hits++);
  await new Promise<void>((r) => victim.bind(0, '127.0.0.2', () => r()));
  const port = victim.address().port;
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  pc.createDataChannel('voice', { negotiated: true, id: 0, ordered: false, maxRetransmits: 0 });
  await pc.setLocalDescription(await pc.createOffer());
  const fake = Array.from({ length: 20 }, (_, i) => `a=candidate:9${i} 1 udp 2122260223 127.0.0.2 ${port} typ host generation 0`);
  const sdp = pc.localDescription!.sdp.replace(/(m=application[^\r]*\r\n)/, `$1${fake.join('\r\n')}\r\n`);
  const c = await greeted('reflector');
  c.ws.send(JSON.stringify({ type: 'rtc-offer', sdp }));
  for (let i = 0; i < 5; i++) c.ws.send(JSON.stringify({ type: 'rtc-candidate', candidate: `candidate:8${i} 1 udp 2122260223 127.0.0.2 ${port} typ host`, sdpMid: '0', sdpMLineIndex: 0 }));
  await waitFor(() => c.messages.some((m) => m.type === 'rtc-answer'), 5000, 'answer');
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(hits, 0, 'no STUN reached the bystander');
  pc.close();
  victim.close();
  c.ws.close(1000);
});
