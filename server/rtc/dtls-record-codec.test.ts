/**
 * DtlsRecordCodec: records it seals open on the other side (client ↔ server
 * keys), their bytes follow RFC 6347/RFC 5288 (checked here with node:crypto
 * directly, not through the codec), forged and replayed records are refused,
 * and record numbers follow werift's counter and the patched numbering rule.
 * Against libwebrtc and Chromium: e2e/integration/voice-lane.test.ts,
 * e2e/browser/voice-lane.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { DtlsRecordCodec, REPLAY_WINDOW } from './dtls-record-codec.ts';
import type { DtlsSocketLike } from './werift-internals.ts';

const keys = {
  blockAlgorithm: 'aes-128-gcm',
  nonceImplicitLength: 4,
  nonceExplicitLength: 8,
  authTagLength: 16,
  clientWriteKey: randomBytes(16),
  serverWriteKey: randomBytes(16),
  clientNonce: randomBytes(12),
  serverNonce: randomBytes(12),
};

/** A stand-in for werift's DtlsSocket after the handshake: epoch 1, one cipher context per side. */
function socket(sessionType: 1 | 2, counter = 0): DtlsSocketLike {
  return {
    dtls: { version: { major: 254, minor: 253 }, epoch: 1, recordSequenceNumber: counter },
    cipher: { sessionType, cipher: { ...keys } },
  } as unknown as DtlsSocketLike;
}

function pair() {
  const server = new DtlsRecordCodec(socket(2));
  const client = new DtlsRecordCodec(socket(1));
  return { server, client };
}

test('a record the server seals opens at the client with the same bytes, and back', () => {
  const { server, client } = pair();
  for (const size of [0, 1, 100, 1188]) {
    const plain = randomBytes(size);
    const toClient = server.seal(plain);
    assert.deepEqual(client.open(toClient, 0), plain);
    const toServer = client.seal(plain);
    assert.deepEqual(server.open(toServer, 0), plain);
  }
  assert.equal(server.counters.sealed, 4);
  assert.equal(server.counters.opened, 4);
});

test('the record is RFC 6347 application data with an RFC 5288 nonce and AAD', () => {
  const server = new DtlsRecordCodec(socket(2, 41));
  const plain = Buffer.from('voice');
  const r = server.seal(plain);
  assert.equal(r[0], 23, 'application_data');
  assert.deepEqual([r[1], r[2]], [254, 253], 'DTLS 1.2');
  assert.equal(r.readUInt16BE(3), 1, 'epoch');
  assert.equal(r.readUIntBE(5, 6), 42, 'werift’s counter, incremented');
  assert.equal(r.readUInt16BE(11), r.length - 13);
  assert.equal(r.length, 13 + 8 + plain.length + 16, 'explicit nonce, ciphertext, tag');
  // Decrypt by the RFC, not through the codec: nonce = server salt ‖ explicit nonce (epoch ‖ seq).
  const nonce = Buffer.concat([keys.serverNonce.subarray(0, 4), r.subarray(13, 21)]);
  assert.deepEqual(r.subarray(13, 21), Buffer.from([0, 1, 0, 0, 0, 0, 0, 42]));
  const aad = Buffer.from([0, 1, 0, 0, 0, 0, 0, 42, 23, 254, 253, 0, plain.length]);
  const d = createDecipheriv('aes-128-gcm', keys.serverWriteKey, nonce, { authTagLength: 16 });
  d.setAuthTag(r.subarray(r.length - 16));
  d.setAAD(aad);
  assert.deepEqual(Buffer.concat([d.update(r.subarray(21, r.length - 16)), d.final()]), plain);
});

test('a forged record is refused and counted; what follows still opens', () => {
  const { server, client } = pair();
  const r = client.seal(Buffer.from('hello'));
  for (const at of [5, 13, 22, r.length - 1]) {
    const bad = Buffer.from(r);
    bad[at]! ^= 1;
    assert.equal(server.open(bad, 0), null, `byte ${at} changed`);
  }
  assert.equal(server.counters.forged, 4);
  assert.deepEqual(server.open(r, 0), Buffer.from('hello'));
  const short = Buffer.from(r.subarray(0, 13 + 20));
  short.writeUInt16BE(20, 11);
  assert.equal(server.open(short, 0), null, 'too short for a nonce and a tag');
});

test('a replayed record is refused; late ones within the window open, older ones do not', () => {
  const { server, client } = pair();
  const records = Array.from({ length: REPLAY_WINDOW + 10 }, (_, i) => client.seal(Buffer.from([i])));
  assert.ok(server.open(records[5]!, 0));
  assert.equal(server.open(records[5]!, 0), null, 'the same record again');
  assert.equal(server.counters.replayed, 1);
  assert.ok(server.open(records[REPLAY_WINDOW + 9]!, 0), 'far ahead');
  assert.ok(server.open(records[20]!, 0), 'late, within the window');
  assert.equal(server.open(records[20]!, 0), null);
  assert.equal(server.open(records[4]!, 0), null, 'older than the window: cannot tell, refused');
  assert.equal(server.counters.replayed, 3);
  // A forged record does not move the window.
  const forged = client.seal(Buffer.from('x'));
  forged[forged.length - 1]! ^= 1;
  assert.equal(server.open(forged, 0), null);
  assert.ok(server.open(records[21]!, 0), 'the window did not move for the forged record');
});

test('record numbers continue werift’s counter and never repeat one werift already used in the epoch', () => {
  const s = socket(2, 6);
  const codec = new DtlsRecordCodec(s);
  assert.equal(codec.seal(Buffer.alloc(1)).readUIntBE(5, 6), 7);
  s.dtls.recordSequenceNumber = 3; // werift's counter went back (its epoch-change bug, werift-patches.ts fix 1)
  assert.equal(codec.seal(Buffer.alloc(1)).readUIntBE(5, 6), 8, 'not 4: 4–7 were used');
  assert.equal(codec.seal(Buffer.alloc(1)).readUIntBE(5, 6), 9);
});

test('new keys (a DTLS renegotiation replaces werift’s cipher context) are picked up', () => {
  const s = socket(2);
  const codec = new DtlsRecordCodec(s);
  const fresh = { ...keys, serverWriteKey: randomBytes(16), clientWriteKey: randomBytes(16) };
  s.cipher = { sessionType: 2, cipher: fresh } as never;
  const client = new DtlsRecordCodec({ ...socket(1), cipher: { sessionType: 1, cipher: fresh } } as never);
  assert.deepEqual(client.open(codec.seal(Buffer.from('after')), 0), Buffer.from('after'));
});

test('a suite other than AES-GCM is refused at once', () => {
  const s = socket(2);
  (s.cipher.cipher as { blockAlgorithm: string }).blockAlgorithm = 'chacha20-poly1305';
  assert.throws(() => new DtlsRecordCodec(s), /not AES-GCM/);
});
