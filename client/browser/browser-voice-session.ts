/** The browser build of the client session: the platform's own WebSocket and RTCPeerConnection. */
import { VoiceSession, type VoiceSessionOptions } from '../net/voice-session.ts';

export function createBrowserVoiceSession(options: VoiceSessionOptions): VoiceSession {
  return new VoiceSession(options, {
    WebSocket: globalThis.WebSocket,
    RTCPeerConnection: globalThis.RTCPeerConnection,
    now: () => performance.now(),
  });
}

/** The control-lane URL of the server that served this page. */
export function pageControlUrl(): string {
  const u = new URL('/control', location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}
