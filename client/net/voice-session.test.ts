/**
 * VoiceSession against stand-in WebSocket and RTCPeerConnection objects (the
 * real ones are exercised by the integration and browser tests): connect()
 * failures come as a ConnectError with a reason code; a frame that would queue
 * behind more than SEND_BACKLOG_MS of audio is dropped and counted, and the
 * sequence moves on as for a lost frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_VERSION, type ChannelInfo, type ServerMessage } from '../../shared/control/protocol.ts';
import { readVoiceHeader, createVoiceHeader, encodeVoiceDatagram } from '../../shared/voice/voice-header.ts';
import { ConnectError, type ConnectFailure } from './connect-error.ts';
import { VoiceSession, sendBacklogLimitBytes, type VoiceSessionPlatform } from './voice-session.ts';

class StandInSocket {
  static last: StandInSocket | null = null;
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor() {
    StandInSocket.last = this;
  }
  send(text: string): void {
    this.sent.push(text);
  }
  close(): void {
    this.readyState = 3;
  }
  deliver(m: ServerMessage): void {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
}

class StandInChannel {
  readyState = 'connecting';
  bufferedAmount = 0;
  binaryType = 'arraybuffer';
  sent: Uint8Array[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((e: { data: ArrayBuffer }) => void) | null = null;
  send(bytes: Uint8Array): void {
    this.sent.push(bytes.slice());
  }
  close(): void {
    this.readyState = 'closed';
  }
  open(): void {
    this.readyState = 'open';
    this.onopen?.();
  }
  /** The lane goes down under the session (the remote end or the transport closed it). */
  drop(): void {
    this.readyState = 'closed';
    this.onclose?.();
  }
}

class StandInPeer {
  static channel: StandInChannel | null = null;
  static last: StandInPeer | null = null;
  constructor() {
    StandInPeer.last = this;
  }
  iceGatheringState = 'complete';
  connectionState = 'new';
  localDescription: { type: string; sdp: string } | null = null;
  onicecandidate: unknown = null;
  onconnectionstatechange: unknown = null;
  createDataChannel(): StandInChannel {
    StandInPeer.channel = new StandInChannel();
    return StandInPeer.channel;
  }
  async createOffer(): Promise<{ type: string; sdp: string }> {
    return { type: 'offer', sdp: 'v=0\r\n' };
  }
  async setLocalDescription(d: { type: string; sdp: string }): Promise<void> {
    this.localDescription = d;
  }
  close(): void {}
}

const LOBBY: ChannelInfo = { id: 1, parentId: null, name: 'Lobby', position: 0, maxUsers: 0, config: { bitrate: 16_000, frameSamples: 960 } };

const open = (ws: StandInSocket): void => {
  ws.readyState = 1;
  ws.onopen?.();
};

/** A session on the stand-ins, its socket open and its welcome delivered (the Lobby plus `channels`); the voice lane is still being negotiated. */
async function startSession(
  o: { nickname?: string; token?: number; channels?: ChannelInfo[]; now?: () => number; before?: (s: VoiceSession) => void } = {},
): Promise<{ session: VoiceSession; ws: StandInSocket }> {
  const platform = { WebSocket: StandInSocket, RTCPeerConnection: StandInPeer, now: o.now ?? (() => 0) } as unknown as VoiceSessionPlatform;
  const session = new VoiceSession({ url: 'ws://127.0.0.1:1/control', nickname: o.nickname ?? 'eve', pingIntervalMs: 60_000 }, platform);
  o.before?.(session);
  const connected = session.connect();
  const ws = StandInSocket.last!;
  open(ws);
  assert.equal(JSON.parse(ws.sent[0]!).type, 'hello');
  const channels = [LOBBY, ...(o.channels ?? [])];
  ws.deliver({ type: 'welcome', protocol: PROTOCOL_VERSION, serverName: 's', sessionToken: o.token ?? 5, channelId: 1, channels, users: [], resumeSecret: 'x', resumeGraceMs: 1000, maxChatLength: 2000 });
  await connected;
  return { session, ws };
}

/** startSession, then the offer made and the voice lane open. */
async function welcomed(now: () => number = () => 0): Promise<{ session: VoiceSession; ws: StandInSocket; dc: StandInChannel }> {
  const { session, ws } = await startSession({ now });
  await new Promise((r) => setTimeout(r, 0)); // the offer is made asynchronously
  const dc = StandInPeer.channel!;
  dc.open();
  return { session, ws, dc };
}

test('a frame that would wait behind more than SEND_BACKLOG_MS of audio is dropped, counted, and leaves a sequence gap', async () => {
  const { session, dc } = await welcomed();
  const config = LOBBY.config;
  const limit = sendBacklogLimitBytes(config);
  assert.equal(limit, 280, '100 ms at 16 kbps with a 16-byte header every 20 ms');

  const opus = new Uint8Array(40);
  assert.equal(session.sendVoice(opus), true);
  dc.bufferedAmount = limit + 1; // the uplink is behind
  assert.equal(session.sendVoice(opus), false);
  assert.equal(session.backlogDrops, 1);
  dc.bufferedAmount = limit; // at the limit: still sent
  assert.equal(session.sendVoice(opus), true);
  const h = createVoiceHeader();
  const sequences = dc.sent.map((b) => (readVoiceHeader(b, h), h.sequence));
  assert.deepEqual(sequences, [0, 2], 'the dropped frame took sequence 1, as a lost one would');
  session.close();
});

test('channel-config is announced on welcome, on a move and on an edit of the own channel only', async () => {
  const seen: number[] = [];
  const music = { id: 3, parentId: 1, name: 'Music', position: 0, maxUsers: 0, config: { bitrate: 96_000, frameSamples: 960 as const } };
  const { session, ws } = await startSession({ channels: [music], before: (s) => s.on('channel-config', (c) => seen.push(c.bitrate)) });
  const lobby = LOBBY;
  ws.deliver({ type: 'channel-updated', channel: { ...music, config: { bitrate: 64_000, frameSamples: 960 } } }); // not ours
  ws.deliver({ type: 'channel-updated', channel: { ...lobby, name: 'Hall' } }); // ours, same codec
  ws.deliver({ type: 'channel-updated', channel: { ...lobby, config: { bitrate: 24_000, frameSamples: 960 } } }); // ours, new bitrate
  ws.deliver({ type: 'joined', channelId: 3 });
  assert.deepEqual(seen, [16_000, 24_000, 64_000]);
  session.close();
});

test('rtc-renew: the open lane is closed and a new offer goes out at once, before the joined that follows it', async () => {
  const events: string[] = [];
  const gaming = { ...LOBBY, id: 2, parentId: 1, name: 'Gaming' };
  const { session, ws } = await startSession({
    channels: [gaming],
    before: (s) => {
      s.on('voice-open', () => events.push('voice-open'));
      s.on('voice-closed', () => events.push('voice-closed'));
    },
  });
  await new Promise((r) => setTimeout(r, 0)); // the offer is made asynchronously
  const offers = (): number => ws.sent.filter((f) => JSON.parse(f).type === 'rtc-offer').length;
  assert.equal(offers(), 1);
  const firstPeer = StandInPeer.last!;
  StandInPeer.channel!.open();
  assert.equal(session.voiceOpen, true);

  ws.deliver({ type: 'rtc-renew', reason: 'moved' });
  assert.equal(session.voiceOpen, false, 'the old lane is dropped at once');
  assert.notEqual(StandInPeer.last, firstPeer, 'a new peer connection');
  ws.deliver({ type: 'joined', channelId: 2 });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(offers(), 2, 'and a new offer');
  StandInPeer.channel!.open();
  assert.deepEqual(events, ['voice-open', 'voice-closed', 'voice-open']);
  // A reason this client does not know is handled the same way.
  ws.deliver({ type: 'rtc-renew', reason: 'something-newer' });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(offers(), 3);
  session.close();
});

test('rtc-renew while the first offer is still being prepared: that offer goes out, no second one', async () => {
  const { session, ws } = await startSession();
  const preparing = StandInPeer.last!;
  // Joined a channel on another relay thread before the offer was out.
  ws.deliver({ type: 'rtc-renew', reason: 'moved' });
  await new Promise((r) => setTimeout(r, 0));
  const offers = ws.sent.filter((f) => JSON.parse(f).type === 'rtc-offer').length;
  assert.equal(offers, 1, 'one offer');
  assert.equal(StandInPeer.last, preparing, 'from the peer connection that was being prepared');
  session.close();
});

/** Starts a session on the stand-ins; `script` plays the server's part on its socket. */
async function connectFailure(script: (ws: StandInSocket, session: VoiceSession) => void, platform?: Partial<VoiceSessionPlatform>): Promise<{ error: unknown; session: VoiceSession }> {
  const session = new VoiceSession(
    { url: 'ws://127.0.0.1:1/control', nickname: 'dee', pingIntervalMs: 60_000 },
    { WebSocket: StandInSocket, RTCPeerConnection: StandInPeer, now: () => 0, ...platform } as unknown as VoiceSessionPlatform,
  );
  const closed = new Promise<string>((resolve) => session.on('closed', resolve));
  const connected = session.connect();
  if (!platform) script(StandInSocket.last!, session);
  const error = await connected.then(
    () => assert.fail('connect() resolved'),
    (e: unknown) => e,
  );
  await closed;
  assert.equal(session.state, 'closed');
  return { error, session };
}

function assertConnectError(error: unknown, reason: ConnectFailure, message: string | RegExp): asserts error is ConnectError {
  assert.ok(error instanceof ConnectError, `a ConnectError, not ${String(error)}`);
  assert.equal(error.name, 'ConnectError');
  assert.equal(error.reason, reason);
  if (typeof message === 'string') assert.equal(error.message, message);
  else assert.match(error.message, message);
}


test('connect(): a control lane that never opens rejects as unreachable', async () => {
  const { error } = await connectFailure((ws) => ws.onclose?.({ code: 1006, reason: '' }));
  assertConnectError(error, 'unreachable', 'the server could not be reached');
});

test('connect(): a socket the browser refuses to open rejects as bad-address, with the browser\'s error as cause', async () => {
  const refused = new SyntaxError("The URL 'ws://[::1' is invalid.");
  const Refusing = function () {
    throw refused;
  };
  const { error } = await connectFailure(() => {}, { WebSocket: Refusing as unknown as VoiceSessionPlatform['WebSocket'] });
  assertConnectError(error, 'bad-address', refused.message);
  assert.equal(error.cause, refused);
});

test('connect(): a protocol-version error rejects as protocol-version with the server\'s words', async () => {
  const { error } = await connectFailure((ws) => {
    open(ws);
    ws.deliver({ type: 'error', code: 'protocol-version', message: 'this server speaks protocol 9, the client 1' });
    ws.onclose?.({ code: 4002, reason: 'protocol' });
  });
  assertConnectError(error, 'protocol-version', 'this server speaks protocol 9, the client 1');
});

test('connect(): an access-denied rejects as denied and carries the refusal', async () => {
  const denial = { type: 'access-denied', reason: 'bad-credentials', message: 'wrong name or password' } as const;
  const { error, session } = await connectFailure((ws) => {
    open(ws);
    ws.deliver(denial);
  });
  assertConnectError(error, 'denied', 'wrong name or password');
  assert.deepEqual(error.denial, denial);
  assert.deepEqual(session.denial, denial);
});

test('connect(): a lane closed after opening but before the welcome rejects as closed; so does close()', async () => {
  const byServer = await connectFailure((ws) => {
    open(ws);
    ws.onclose?.({ code: 1011, reason: '' });
  });
  assertConnectError(byServer.error, 'closed', 'closed by the server (1011)');
  const byUs = await connectFailure((ws, session) => {
    open(ws);
    session.close('gave up waiting');
  });
  assertConnectError(byUs.error, 'closed', 'gave up waiting');
});

test('voice-closed: when the open lane goes down under the session, and when a renegotiation replaces it', async () => {
  const { session, dc } = await welcomed();
  let closed = 0;
  session.on('voice-closed', () => closed++);
  assert.equal(session.voiceOpen, true);
  dc.drop();
  assert.equal(session.voiceOpen, false);
  assert.equal(closed, 1);

  session.close();
  assert.equal(closed, 1, 'a lane already down is not announced again');

  // The peer connection failed: the session renegotiates, replacing the open lane.
  const { session: other, dc: first } = await welcomed();
  let replaced = 0;
  other.on('voice-closed', () => replaced++);
  const peer = StandInPeer.last!;
  peer.connectionState = 'failed';
  (peer.onconnectionstatechange as () => void)();
  assert.equal(other.voiceOpen, false);
  assert.equal(replaced, 1, 'the replaced lane is announced closed');
  first.drop();
  assert.equal(replaced, 1, 'and says nothing when it closes later');
  await new Promise((r) => setTimeout(r, 0));
  assert.notEqual(StandInPeer.channel, first);
  StandInPeer.channel!.open();
  assert.equal(other.voiceOpen, true, 'the new lane opens');
  other.close();
  assert.equal(replaced, 2, 'closing the session closes the open lane');
});

test('the voice lane hands voice frames on as datagrams and turns the echo of its own ping into udp-rtt', async () => {
  let clock = 1000;
  const { session, dc } = await welcomed(() => clock);
  const rtts: number[] = [];
  const datagrams: number[] = [];
  session.on('udp-rtt', (ms) => rtts.push(ms));
  session.on('datagram', (b) => datagrams.push(b.length));
  assert.equal(session.pingVoice(), true);
  const ping = dc.sent.at(-1)!;
  assert.equal(ping.length, 16);
  clock = 1042;
  dc.onmessage?.({ data: ping.slice().buffer });
  const voice = encodeVoiceDatagram({ token: 9, sequence: 3, timestamp: 2880 }, new Uint8Array([1, 2, 3]));
  dc.onmessage?.({ data: voice.slice().buffer });
  const othersPing = encodeVoiceDatagram({ token: 9, sequence: 0, timestamp: 0 }, new Uint8Array(0));
  dc.onmessage?.({ data: othersPing.slice().buffer });
  assert.deepEqual(rtts, [42]);
  assert.deepEqual(datagrams, [19, 16], 'voice and another session\'s ping go on as datagrams');
  session.close();
});

test('the send backlog limit and the frame size follow the channel config as it changes', async () => {
  const { session, ws, dc } = await welcomed();
  const lobby = { id: 1, parentId: null, name: 'Lobby', position: 0, maxUsers: 0 };
  const opus = new Uint8Array(40);
  const small = sendBacklogLimitBytes({ bitrate: 16_000, frameSamples: 960 });
  dc.bufferedAmount = small + 1;
  assert.equal(session.sendVoice(opus), false, 'over the 16 kbps limit');
  ws.deliver({ type: 'channel-updated', channel: { ...lobby, config: { bitrate: 96_000, frameSamples: 2880 } } });
  const big = sendBacklogLimitBytes({ bitrate: 96_000, frameSamples: 2880 });
  assert.ok(big > small + 1);
  assert.equal(session.sendVoice(opus, { timestamp: 0 }), true, 'within the 96 kbps limit');
  dc.bufferedAmount = big + 1;
  assert.equal(session.sendVoice(opus), false, 'over the 96 kbps limit');
  dc.bufferedAmount = 0;
  assert.equal(session.sendVoice(opus), true);
  const h = createVoiceHeader();
  assert.deepEqual(dc.sent.map((b) => (readVoiceHeader(b, h), h.timestamp)), [0, 5760], 'timestamps move on by 2880 per frame');
  session.close();
});
