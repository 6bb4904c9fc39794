import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPort, localHost } from './host-port.ts';

test('hostPort brackets an IPv6 host once, and only that', () => {
  assert.equal(hostPort({ host: 'voice.example', port: 8080 }), 'voice.example:8080');
  assert.equal(hostPort({ host: '127.0.0.1', port: 1 }), '127.0.0.1:1');
  assert.equal(hostPort({ host: '::1', port: 8080 }), '[::1]:8080');
  assert.equal(hostPort({ host: '[2001:db8::1]', port: 443 }), '[2001:db8::1]:443');
});

test('localHost reaches a wildcard bind through loopback, of the same family; other hosts as they are', () => {
  assert.equal(localHost('0.0.0.0'), '127.0.0.1');
  assert.equal(localHost('::'), '::1');
  assert.equal(localHost('192.0.2.7'), '192.0.2.7');
  assert.equal(localHost('voice.example'), 'voice.example');
});
