import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, recordDatagrams, joinChannel, waitFor, sleep, hex, type TestServer } from './harness.ts';
import { encodeVoiceDatagram } from '../../shared/voice/voice-header.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

test('two clients in one channel receive each other byte-exact; a third elsewhere receives nothing', async () => {
  const a = await t.client('alice');
  const b = await t.client('bob');
  const c = await t.client('carol');
  const lobby = a.channelId;
  assert.equal(b.channelId, lobby);
  await joinChannel(c, 3);
  const gotA = recordDatagrams(a);
  const gotB = recordDatagrams(b);
  const gotC = recordDatagrams(c);
  const fromA: Uint8Array[] = [];
  const fromB: Uint8Array[] = [];
  for (let i = 0; i < 20; i++) {
    const pa = new Uint8Array(40 + i).fill(i);
    const pb = new Uint8Array(60).fill(200 - i);
    fromA.push(encodeVoiceDatagram({ token: a.sessionToken, sequence: a.nextVoiceSequence, timestamp: i * 960 }, pa));
    fromB.push(encodeVoiceDatagram({ token: b.sessionToken, sequence: b.nextVoiceSequence, timestamp: i * 960 }, pb));
    assert.ok(a.sendVoice(pa, { timestamp: i * 960 }));
    assert.ok(b.sendVoice(pb, { timestamp: i * 960 }));
    await sleep(5);
  }
  await waitFor(() => gotA.length >= 20 && gotB.length >= 20, 5000, 'both sides receive 20');
  await sleep(200);
  assert.deepEqual(gotB.map(hex).sort(), fromA.map(hex).sort());
  assert.deepEqual(gotA.map(hex).sort(), fromB.map(hex).sort());
  assert.equal(gotC.length, 0, 'a client in another channel hears nothing');
});
