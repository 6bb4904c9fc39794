/**
 * VoiceSession's send path against stand-in WebSocket and RTCPeerConnection
 * objects (the real ones are exercised by the integration and browser
 * tests): a frame that would queue behind more than SEND_BACKLOG_MS of audio
 * is dropped and counted, and the sequence moves on as for a lost frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_VERSION, type ServerMessage } from '../../shared/control/protocol.ts';
import { readVoiceHeader, createVoiceHeader } from '../../shared/voice/voice-header.ts';
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
  readyState = 'open';
  bufferedAmount = 0;
  binaryType = 'arraybuffer';
  sent: Uint8Array[] = [];
  onopen: (() => void) | null = null;
  onmessage: (() => void) | null = null;
  send(bytes: Uint8Array): void {
    this.sent.push(bytes.slice());
  }
  close(): void {
    this.readyState = 'closed';
  }
}

class StandInPeer {
  static channel: StandInChannel | null = null;
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

test('a frame that would wait behind more than SEND_BACKLOG_MS of audio is dropped, counted, and leaves a sequence gap', async () => {
  const platform = { WebSocket: StandInSocket, RTCPeerConnection: StandInPeer, now: () => 0 } as unknown as VoiceSessionPlatform;
  const session = new VoiceSession({ url: 'ws://127.0.0.1:1/control', nickname: 'ann', pingIntervalMs: 60_000 }, platform);
  const connected = session.connect();
  const ws = StandInSocket.last!;
  ws.readyState = 1;
  ws.onopen?.();
  assert.equal(JSON.parse(ws.sent[0]!).type, 'hello');
  const config = { bitrate: 16_000, frameSamples: 960 as const };
  ws.deliver({
    type: 'welcome',
    protocol: PROTOCOL_VERSION,
    serverName: 's',
    sessionToken: 7,
    channelId: 1,
    channels: [{ id: 1, parentId: null, name: 'Lobby', position: 0, maxUsers: 0, config }],
    users: [],
    resumeSecret: 'x',
    resumeGraceMs: 1000,
    maxChatLength: 2000,
  });
  await connected;
  await new Promise((r) => setTimeout(r, 0)); // the offer is made asynchronously
  const dc = StandInPeer.channel!;
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
  const platform = { WebSocket: StandInSocket, RTCPeerConnection: StandInPeer, now: () => 0 } as unknown as VoiceSessionPlatform;
  const session = new VoiceSession({ url: 'ws://127.0.0.1:1/control', nickname: 'cy', pingIntervalMs: 60_000 }, platform);
  const seen: number[] = [];
  session.on('channel-config', (c) => seen.push(c.bitrate));
  const connected = session.connect();
  const ws = StandInSocket.last!;
  ws.readyState = 1;
  ws.onopen?.();
  const lobby = { id: 1, parentId: null, name: 'Lobby', position: 0, maxUsers: 0, config: { bitrate: 16_000, frameSamples: 960 as const } };
  const music = { id: 3, parentId: 1, name: 'Music', position: 0, maxUsers: 0, config: { bitrate: 96_000, frameSamples: 960 as const } };
  ws.deliver({ type: 'welcome', protocol: PROTOCOL_VERSION, serverName: 's', sessionToken: 9, channelId: 1, channels: [lobby, music], users: [], resumeSecret: 'x', resumeGraceMs: 1000, maxChatLength: 2000 });
  await connected;
  ws.deliver({ type: 'channel-updated', channel: { ...music, config: { bitrate: 64_000, frameSamples: 960 } } }); // not ours
  ws.deliver({ type: 'channel-updated', channel: { ...lobby, name: 'Hall' } }); // ours, same codec
  ws.deliver({ type: 'channel-updated', channel: { ...lobby, config: { bitrate: 24_000, frameSamples: 960 } } }); // ours, new bitrate
  ws.deliver({ type: 'joined', channelId: 3 });
  assert.deepEqual(seen, [16_000, 24_000, 64_000]);
  session.close();
});
