import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { parseAddressRange, type AddressRange } from '../bans/ip-range.ts';
import { clientAddress } from './client-address.ts';

function req(remoteAddress: string, xff?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } } as unknown as IncomingMessage;
}
const ranges = (...t: string[]): AddressRange[] => t.map((x) => parseAddressRange(x) as AddressRange);

test('without trusted proxies the socket address is the answer and X-Forwarded-For is ignored', () => {
  assert.equal(clientAddress(req('203.0.113.7', '198.51.100.1'), []), '203.0.113.7');
  assert.equal(clientAddress(req('::ffff:203.0.113.7'), []), '203.0.113.7');
});

test('from a trusted proxy, the rightmost untrusted hop is the client', () => {
  const proxies = ranges('127.0.0.1', '10.0.0.0/8');
  assert.equal(clientAddress(req('127.0.0.1', '198.51.100.1'), proxies), '198.51.100.1');
  // The client prepended a fake hop; the proxy appended the real one.
  assert.equal(clientAddress(req('::ffff:127.0.0.1', '6.6.6.6, 198.51.100.1'), proxies), '198.51.100.1');
  // A chain of trusted proxies is skipped.
  assert.equal(clientAddress(req('127.0.0.1', '198.51.100.1, 10.1.2.3'), proxies), '198.51.100.1');
  assert.equal(clientAddress(req('127.0.0.1', '2001:DB8::1'), proxies), '2001:db8::1');
});

test('a socket not from a trusted proxy cannot claim another address', () => {
  assert.equal(clientAddress(req('203.0.113.7', '198.51.100.1'), ranges('127.0.0.1')), '203.0.113.7');
});

test('a missing or garbled header from a trusted proxy gives the proxy address', () => {
  const proxies = ranges('127.0.0.1');
  assert.equal(clientAddress(req('127.0.0.1'), proxies), '127.0.0.1');
  assert.equal(clientAddress(req('127.0.0.1', 'unknown'), proxies), '127.0.0.1');
  assert.equal(clientAddress(req('127.0.0.1', '198.51.100.1, <script>'), proxies), '127.0.0.1');
});
