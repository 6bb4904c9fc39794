/**
 * Rewrites the host candidates of a local SDP for a server behind NAT or in a
 * container: the address becomes the announced one, the port stays (the UDP
 * range is published 1:1). Loopback candidates are kept as they are.
 */
import { isIP } from 'node:net';

const CANDIDATE = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)(.*)$/;

function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1';
}

export function announceAddress(sdp: string, announced: string): string {
  const family = isIP(announced);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of sdp.split('\r\n')) {
    const m = CANDIDATE.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const [, foundation, component, proto, priority, addr, port, type, rest] = m;
    if (isLoopback(addr!)) {
      out.push(line);
      continue;
    }
    if (type !== 'host' || isIP(addr!) !== family) continue;
    const key = `${proto}/${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(`a=candidate:${foundation} ${component} ${proto} ${priority} ${announced} ${port} typ host${rest}`);
  }
  return out.join('\r\n');
}
