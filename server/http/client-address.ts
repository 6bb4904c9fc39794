/**
 * The address a request really comes from. Behind a reverse proxy every
 * socket comes from the proxy, which would make bans and login throttling by
 * address hit everyone at once; with the proxy listed in
 * VOICE_TRUSTED_PROXIES its `X-Forwarded-For` is believed — the rightmost
 * entry that is not itself a trusted proxy (entries further left are the
 * client's say-so). Without trusted proxies the header is ignored.
 */
import type { IncomingMessage } from 'node:http';
import { canonicalAddress, parseAddress, rangeContains, type AddressRange } from '../bans/ip-range.ts';

export type TrustedProxies = readonly AddressRange[];

function trusted(proxies: TrustedProxies, address: string): boolean {
  const bytes = parseAddress(address);
  return bytes !== null && proxies.some((r) => rangeContains(r, bytes));
}

/** The canonical client address of `req` ('::ffff:1.2.3.4' reads '1.2.3.4'), or '' if unknown. */
export function clientAddress(req: IncomingMessage, proxies: TrustedProxies): string {
  const peer = req.socket.remoteAddress ?? '';
  if (proxies.length === 0 || !trusted(proxies, peer)) return canonicalAddress(peer);
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (parseAddress(hop) === null) return canonicalAddress(peer); // a garbled chain: trust nothing in it
    if (!trusted(proxies, hop)) return canonicalAddress(hop);
  }
  return canonicalAddress(peer);
}
