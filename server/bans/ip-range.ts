/**
 * IP addresses and CIDR ranges for address bans. Every address lives in one
 * 16-byte space: IPv4 is stored as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so an
 * IPv4 ban `10.0.0.0/8` is the IPv6 range `::ffff:10.0.0.0/104`, and a client
 * that reaches a dual-stack socket as `::ffff:10.0.0.5` is matched by it.
 *
 * `node:net`'s `isIP` decides what is an address; the byte conversion and the
 * RFC 5952 text form are written here so that parse and format are exact
 * inverses (the property test holds them to it).
 */
import { isIP } from 'node:net';

/** A CIDR range in the 16-byte space. */
export interface AddressRange {
  /** 16 bytes, host bits zero. */
  readonly bytes: Uint8Array;
  /** Leading bits that must match: 0..128 (an IPv4 `/n` is stored as `96 + n`). */
  readonly prefix: number;
  /**
   * Canonical text, always with a prefix: `a.b.c.d/n` (n 0..32) for an IPv4
   * range (IPv4-mapped with prefix ≥ 96), else compressed lowercase IPv6 `x::/n`.
   */
  readonly text: string;
}

const ADDRESS_BYTES = 16;
/** Bits taken by the `::ffff:` prefix of an IPv4-mapped address. */
const V4_MAPPED_BITS = 96;

/**
 * The 16 bytes of an IPv4 or IPv6 address, IPv4 as `::ffff:a.b.c.d`; null for
 * anything else, including surrounding whitespace, a `/prefix` and zone ids
 * (`fe80::1%eth0`: a link-local scope means nothing to a ban list).
 */
export function parseAddress(text: string): Uint8Array | null {
  if (typeof text !== 'string' || text.includes('%')) return null;
  const family = isIP(text);
  if (family === 4) {
    const bytes = new Uint8Array(ADDRESS_BYTES);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    writeDottedQuad(text, bytes, 12);
    return bytes;
  }
  if (family === 6) return parseIPv6(text);
  return null;
}

/**
 * A range from `addr` (a single address: /32 or /128) or `addr/prefix`, host
 * bits cleared; or an error to show to whoever typed it.
 */
export function parseAddressRange(text: string): AddressRange | { error: string } {
  if (typeof text !== 'string' || text.length === 0) return { error: 'not an IP address' };
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  if (addressText.includes('%')) return { error: 'zone ids (%…) are not allowed in an address' };
  const family = isIP(addressText);
  if (family === 0) return { error: 'not an IP address' };
  const maxPrefix = family === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (prefixText.length === 0) return { error: 'missing prefix length after "/"' };
    // Plain decimal only: no sign, hex, exponent, spaces or leading zeros.
    if (!/^(?:0|[1-9][0-9]*)$/.test(prefixText)) return { error: 'prefix must be a decimal number' };
    prefix = Number(prefixText);
    if (prefix > maxPrefix) return { error: `prefix must be 0–${maxPrefix} for IPv${family}` };
  }
  const bytes = parseAddress(addressText);
  if (bytes === null) return { error: 'not an IP address' };
  const fullPrefix = family === 4 ? prefix + V4_MAPPED_BITS : prefix;
  clearHostBits(bytes, fullPrefix);
  return Object.freeze({ bytes, prefix: fullPrefix, text: formatRange(bytes, fullPrefix) });
}

/** Whether `address` (16 bytes, from parseAddress) lies in `range`. Allocates nothing. */
export function rangeContains(range: AddressRange, address: Uint8Array): boolean {
  if (address.length !== ADDRESS_BYTES) throw new TypeError('an address is 16 bytes');
  const { bytes, prefix } = range;
  const whole = prefix >>> 3;
  for (let i = 0; i < whole; i++) {
    if (bytes[i] !== address[i]) return false;
  }
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole]! ^ address[whole]!) & mask) === 0;
}

/**
 * Text for 16 bytes: an IPv4-mapped address as its dotted quad, anything else
 * as RFC 5952 IPv6 (lowercase, no leading zeros, the longest run of two or
 * more zero groups — the first if tied — written `::`).
 */
export function formatAddress(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ADDRESS_BYTES) {
    throw new TypeError('an address is a 16-byte Uint8Array');
  }
  if (isV4Mapped(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < ADDRESS_BYTES; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < groups.length && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(0, groups.length);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, groups.length)}`;
}

export function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) {
    if (bytes[i] !== 0) return false;
  }
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function formatRange(bytes: Uint8Array, prefix: number): string {
  if (prefix >= V4_MAPPED_BITS && isV4Mapped(bytes)) return `${formatAddress(bytes)}/${prefix - V4_MAPPED_BITS}`;
  // Below /96 the mask clears part of the ffff, so the bytes are never IPv4-mapped here.
  return `${formatAddress(bytes)}/${prefix}`;
}

function clearHostBits(bytes: Uint8Array, prefix: number): void {
  for (let i = 0; i < ADDRESS_BYTES; i++) {
    const keep = prefix - i * 8;
    if (keep >= 8) continue;
    bytes[i] = keep <= 0 ? 0 : bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
}

/** `text` is already a valid dotted quad (isIP said 4). */
function writeDottedQuad(text: string, into: Uint8Array, at: number): void {
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) into[at + i] = Number(parts[i]);
}

/** `text` is already a valid IPv6 address without a zone (isIP said 6). */
function parseIPv6(text: string): Uint8Array {
  const bytes = new Uint8Array(ADDRESS_BYTES);
  const gap = text.indexOf('::');
  const head = gap === -1 ? text : text.slice(0, gap);
  const tail = gap === -1 ? '' : text.slice(gap + 2);
  const headBytes = groupBytes(head);
  const tailBytes = groupBytes(tail);
  // Without "::" the head fills all 16 bytes; with it, the zeros go between head and tail.
  bytes.set(headBytes, 0);
  bytes.set(tailBytes, ADDRESS_BYTES - tailBytes.length);
  return bytes;
}

/** The bytes of colon-separated groups, the last of which may be an embedded dotted quad. */
function groupBytes(text: string): number[] {
  if (text.length === 0) return [];
  const out: number[] = [];
  for (const part of text.split(':')) {
    if (part.includes('.')) {
      for (const octet of part.split('.')) out.push(Number(octet));
    } else {
      const group = Number.parseInt(part, 16);
      out.push(group >> 8, group & 0xff);
    }
  }
  return out;
}

/**
 * One text per address: IPv4-mapped IPv6 reads as IPv4, IPv6 as RFC 5952.
 * Text that is not an address comes back as it was.
 */
export function canonicalAddress(text: string): string {
  const bytes = parseAddress(text);
  return bytes === null ? text : formatAddress(bytes);
}
