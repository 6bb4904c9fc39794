/**
 * The Node build of the client session, used by tests and bots: the same
 * VoiceSession with `ws` for the control lane and @roamhq/wrtc (libwebrtc) for
 * the voice lane.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import wrtc from '@roamhq/wrtc';
import { VoiceSession, type VoiceSessionOptions } from '../net/voice-session.ts';

export function createNodeVoiceSession(options: VoiceSessionOptions): VoiceSession {
  return new VoiceSession(options, {
    WebSocket: WebSocket as unknown as new (url: string) => globalThis.WebSocket,
    RTCPeerConnection: wrtc.RTCPeerConnection as unknown as new (config?: RTCConfiguration) => RTCPeerConnection,
    now: () => performance.now(),
  });
}

/** ws://host:port/control for an http(s) base URL. */
export function controlUrl(httpBase: string): string {
  const u = new URL('/control', httpBase);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}
