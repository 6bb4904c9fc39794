import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlUrl, pageAddress, parseServerAddress } from './browser-voice-session.ts';

const http = { protocol: 'http:' };
const https = { protocol: 'https:' };

test('controlUrl follows the page scheme and keeps the port', () => {
  assert.equal(controlUrl({ host: 'voice.example', port: 8080 }, http), 'ws://voice.example:8080/control');
  assert.equal(controlUrl({ host: 'voice.example', port: 443 }, https), 'wss://voice.example/control');
  assert.equal(controlUrl({ host: 'voice.example', port: 80 }, https), 'wss://voice.example:80/control');
  assert.equal(controlUrl({ host: '::1', port: 8080 }, http), 'ws://[::1]:8080/control');
});

test('controlUrl takes an IPv6 host already in brackets', () => {
  assert.equal(controlUrl({ host: '[::1]', port: 8080 }, http), 'ws://[::1]:8080/control');
});

test('pageAddress takes the default port of the scheme', () => {
  assert.deepEqual(pageAddress({ protocol: 'https:', hostname: 'a.example', port: '' }), { host: 'a.example', port: 443 });
  assert.deepEqual(pageAddress({ protocol: 'http:', hostname: '[::1]', port: '8080' }), { host: '::1', port: 8080 });
});

test('parseServerAddress reads hosts, host:port, pasted URLs; refuses junk', () => {
  assert.deepEqual(parseServerAddress('voice.example', 8080), { host: 'voice.example', port: 8080 });
  assert.deepEqual(parseServerAddress(' voice.example:9000 ', 8080), { host: 'voice.example', port: 9000 });
  assert.deepEqual(parseServerAddress('https://voice.example:9443/some/path', 8080), { host: 'voice.example', port: 9443 });
  assert.deepEqual(parseServerAddress('[::1]:7000', 8080), { host: '::1', port: 7000 });
  assert.deepEqual(parseServerAddress('127.0.0.1', 1), { host: '127.0.0.1', port: 1 });
  assert.equal(parseServerAddress('', 8080), null);
  assert.equal(parseServerAddress('a b', 8080), null);
  assert.equal(parseServerAddress('user:pw@host', 8080), null);
  assert.equal(parseServerAddress('host', 0), null);
  assert.equal(parseServerAddress('host', 70000), null);
});
