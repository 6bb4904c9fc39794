/**
 * Resume: the control lane drops, the session survives its grace period, the
 * client comes back with the same token and channel, and voice flows again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestServer, recordDatagrams, joinChannel, waitFor, sleep, withTimeout, type TestServer } from './harness.ts';
import { controlUrl } from '../../client/node/node-voice-session.ts';
import { PROTOCOL_VERSION, parseServerMessage, type ServerMessage } from '../../shared/control/protocol.ts';
import type { VoiceSession } from '../../client/net/voice-session.ts';

const GRACE_MS = 2500;
let t: TestServer;

before(async () => {
  t = await startTestServer({ VOICE_RESUME_GRACE_MS: String(GRACE_MS), VOICE_HEARTBEAT_MS: '1000' });
});
after(async () => {
  await t.close();
});

/** A bare control-lane client: no WebRTC, no reconnect. */
async function rawClient(): Promise<{ ws: WebSocket; messages: ServerMessage[]; next(type: string): Promise<ServerMessage> }> {
  const ws = new WebSocket(controlUrl(t.server.url));
  const messages: ServerMessage[] = [];
  const waiters: { type: string; resolve: (m: ServerMessage) => void }[] = [];
  ws.on('message', (data) => {
    const parsed = parseServerMessage(String(data));
    assert.ok(parsed.ok, 'server messages validate against the schema');
    messages.push(parsed.value);
    for (const w of waiters.filter((w) => w.type === parsed.value.type)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(parsed.value);
    }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    next: (type) => {
      const have = messages.find((m) => m.type === type);
      if (have) return Promise.resolve(have);
      return withTimeout(new Promise((resolve) => waiters.push({ type, resolve })), 5000, type);
    },
  };
}

function presenceOf(s: VoiceSession): ServerMessage[] {
  const seen: ServerMessage[] = [];
  s.on('message', (m) => {
    if (m.type === 'user-left' || m.type === 'user-joined') seen.push(m);
  });
  return seen;
}

test('a dropped control lane resumes with the same token and channel; voice flows again; others see nothing', async () => {
  const a = await t.client('alice');
  const b = await t.client('bob');
  await joinChannel(a, 2);
  await joinChannel(b, 2);
  const token = a.sessionToken;
  const bPresence = presenceOf(b);
  const states: string[] = [];
  a.on('state', (s) => states.push(s));
  const resumed = new Promise<void>((resolve) => a.on('message', (m) => m.type === 'resumed' && resolve()));

  const started = Date.now();
  const conn = t.server.control.connectionOf(token);
  assert.ok(conn, 'the server knows a\'s control connection');
  conn.terminate(); // as a network failure would: no close frame
  await withTimeout(resumed, 5000, 'a resumes');
  const took = Date.now() - started;
  assert.ok(took < 3000, `resumed within a few seconds (${took} ms)`);
  assert.deepEqual(states, ['reconnecting', 'connected']);
  assert.equal(a.sessionToken, token, 'same session token');
  assert.equal(a.channelId, 2, 'same channel');
  assert.equal(t.server.sessions.get(token)?.channelId, 2);

  const gotB = recordDatagrams(b);
  await waitFor(() => a.voiceOpen, 5000, 'voice lane open after resume');
  for (let i = 0; i < 5; i++) {
    assert.ok(a.sendVoice(new Uint8Array(30).fill(i)));
    await sleep(20);
  }
  await waitFor(() => gotB.length === 5, 5000, 'b hears a after the resume');
  assert.deepEqual(bPresence, [], 'b saw no leave and no join');
});

test('voice resumes on a new peer connection when the old one is gone too', async () => {
  const a = await t.client('dora');
  const b = await t.client('eve');
  const gotB = recordDatagrams(b);
  const token = a.sessionToken;
  // Tear down both lanes on the server side: the session's peer and its socket.
  t.server.sessions.get(token)!.peer!.close();
  t.server.control.connectionOf(token)!.terminate();
  await waitFor(() => a.state === 'reconnecting', 3000, 'a notices');
  await waitFor(() => a.state === 'connected' && a.voiceOpen, 8000, 'a resumed with an open voice lane');
  await waitFor(() => t.server.sessions.get(token)?.peer?.isOpen === true, 5000, 'the server has a new open peer');
  assert.ok(a.sendVoice(new Uint8Array(44)));
  await waitFor(() => gotB.length === 1, 5000, 'b hears a on the new peer connection');
  assert.equal(a.sessionToken, token);
});

test('a wrong resume secret is refused and the session is untouched', async () => {
  const a = await t.client('frank');
  const raw = await rawClient();
  raw.ws.send(JSON.stringify({ type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: a.sessionToken, resumeSecret: 'not-the-secret' }));
  const denied = await raw.next('resume-denied');
  assert.equal(denied.type === 'resume-denied' && denied.reason, 'bad-secret');
  raw.ws.send(JSON.stringify({ type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: 12345, resumeSecret: 'x' }));
  await waitFor(() => raw.messages.filter((m) => m.type === 'resume-denied').length === 2, 3000, 'second denial');
  const second = raw.messages.filter((m) => m.type === 'resume-denied')[1];
  assert.equal(second?.type === 'resume-denied' && second.reason, 'unknown-session');
  await sleep(100);
  assert.equal(a.state, 'connected', 'the real owner is still connected');
  assert.ok(t.server.control.connectionOf(a.sessionToken), 'and still attached');
  raw.ws.close();
});

test('after the grace period the session ends and the others are told', async () => {
  const watcher = await t.client('grace-watcher');
  const seen = presenceOf(watcher);
  const raw = await rawClient();
  raw.ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, nickname: 'ghost' }));
  const welcome = await raw.next('welcome');
  assert.equal(welcome.type, 'welcome');
  const token = welcome.type === 'welcome' ? welcome.sessionToken : 0;
  await waitFor(() => seen.some((m) => m.type === 'user-joined'), 3000, 'watcher sees ghost join');
  const lost = Date.now();
  raw.ws.terminate();
  await sleep(GRACE_MS / 2);
  assert.ok(t.server.sessions.get(token), 'still there during the grace period');
  assert.ok(!seen.some((m) => m.type === 'user-left'), 'nobody told during the grace period');
  await waitFor(() => seen.some((m) => m.type === 'user-left'), GRACE_MS + 3000, 'user-left after the grace period');
  const left = seen.find((m) => m.type === 'user-left');
  assert.ok(left?.type === 'user-left' && left.sessionToken === token && left.reason === 'timeout');
  assert.ok(Date.now() - lost >= GRACE_MS - 50, 'not before the grace period');
  assert.equal(t.server.sessions.get(token), undefined);
  // A late resume for it is refused.
  const late = await rawClient();
  late.ws.send(JSON.stringify({ type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: token, resumeSecret: welcome.type === 'welcome' ? welcome.resumeSecret : '' }));
  const denied = await late.next('resume-denied');
  assert.ok(denied.type === 'resume-denied' && denied.reason === 'unknown-session');
  late.ws.close();
});

test('closing with 1000 ends the session at once', async () => {
  const watcher = await t.client('quit-watcher');
  const seen = presenceOf(watcher);
  const q = await t.client('quitter', { waitVoice: false });
  const token = q.sessionToken;
  q.close();
  await waitFor(() => seen.some((m) => m.type === 'user-left'), 2000, 'user-left right away');
  const left = seen.find((m) => m.type === 'user-left');
  assert.ok(left?.type === 'user-left' && left.sessionToken === token && left.reason === 'quit');
});

test('a resume takes over a half-open old socket, and the secret rotates', async () => {
  const first = await rawClient();
  first.ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, nickname: 'half-open' }));
  const welcome = await first.next('welcome');
  assert.ok(welcome.type === 'welcome');
  const closed = new Promise<number>((resolve) => first.ws.once('close', (code) => resolve(code)));
  // The server still holds `first` open (as with a silent network change); a new socket resumes.
  const second = await rawClient();
  second.ws.send(JSON.stringify({ type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: welcome.sessionToken, resumeSecret: welcome.resumeSecret }));
  const resumed = await second.next('resumed');
  assert.ok(resumed.type === 'resumed' && resumed.sessionToken === welcome.sessionToken);
  assert.equal(await withTimeout(closed, 3000, 'old socket closed'), 4001, 'the old socket is closed as superseded');
  assert.notEqual(resumed.resumeSecret, welcome.resumeSecret, 'the secret rotates');
  const third = await rawClient();
  third.ws.send(JSON.stringify({ type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: welcome.sessionToken, resumeSecret: welcome.resumeSecret }));
  const denied = await third.next('resume-denied');
  assert.ok(denied.type === 'resume-denied' && denied.reason === 'bad-secret', 'the old secret no longer works');
  second.ws.close(1000);
  third.ws.close();
});

test('a socket that stops answering heartbeats is dropped, and its session waits in grace', async () => {
  const silent = new WebSocket(controlUrl(t.server.url), { autoPong: false });
  await new Promise((resolve, reject) => {
    silent.once('open', resolve);
    silent.once('error', reject);
  });
  const welcome = new Promise<ServerMessage>((resolve) => silent.once('message', (d) => {
    const m = parseServerMessage(String(d));
    if (m.ok) resolve(m.value);
  }));
  silent.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, nickname: 'no-pong' }));
  const w = await withTimeout(welcome, 3000, 'welcome');
  assert.ok(w.type === 'welcome');
  const closed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
  // Heartbeat is 1 s here: the first ping goes unanswered, the next tick cuts the socket.
  const code = await withTimeout(closed, 5000, 'heartbeat drop');
  assert.equal(code, 1006, 'terminated without a close frame');
  await sleep(50);
  const session = t.server.sessions.get(w.sessionToken);
  assert.ok(session, 'the session survives into its grace period');
  assert.equal(session.link, null);
});
