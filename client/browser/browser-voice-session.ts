/** The browser build of the client session: the platform's own WebSocket and RTCPeerConnection. */
import { VoiceSession, type VoiceSessionOptions } from '../net/voice-session.ts';
import { hostPort, type HostPort } from '../../shared/net/host-port.ts';

export function createBrowserVoiceSession(options: VoiceSessionOptions): VoiceSession {
  return new VoiceSession(options, {
    WebSocket: globalThis.WebSocket,
    RTCPeerConnection: globalThis.RTCPeerConnection,
    now: () => performance.now(),
  });
}

/**
 * The control-lane URL of a server. The scheme follows the page: an https page
 * may only open wss:// (mixed content), and an http page serves plain ws://.
 */
export function controlUrl(address: HostPort, page: Pick<URL, 'protocol'> = location): string {
  const scheme = page.protocol === 'https:' ? 'wss:' : 'ws:';
  return new URL(`${scheme}//${hostPort(address)}/control`).toString();
}

/** The address of the server that served this page. */
export function pageAddress(page: Pick<URL, 'protocol' | 'hostname' | 'port'> = location): HostPort {
  const port = page.port ? Number(page.port) : page.protocol === 'https:' ? 443 : 80;
  return { host: page.hostname.replace(/^\[|\]$/g, ''), port };
}

/**
 * Reads what a person types into the address field: a bare host, host:port,
 * [v6]:port, or a pasted URL. A port in the text wins over `port`. Returns null
 * when it is not a usable host.
 */
export function parseServerAddress(text: string, port: number): HostPort | null {
  let t = text.trim();
  if (!t) return null;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) t = `http://${t}`;
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    return null;
  }
  if (u.username || u.password || !u.hostname) return null;
  const p = u.port ? Number(u.port) : port;
  if (!Number.isInteger(p) || p < 1 || p > 65535) return null;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: p };
}
