/**
 * The bot fleet API (what the admin's "spawn bots" page and the benchmark use):
 * N bots over C channels for D seconds, in child processes, real WebRTC.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './harness.ts';
import { runBots } from '../../server/bots/bot-fleet.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

test('6 bots in 2 channels, 2 talking in each, for 3 s: every frame arrives, only within its channel, on time', async () => {
  const result = await runBots({
    url: t.server.url,
    channels: [2, 3],
    botsPerChannel: 3,
    talkersPerChannel: 2,
    durationMs: 3000,
    config: { bitrate: 24000, frameSamples: 960 },
    processes: 2,
  });
  assert.equal(result.bots, 6);
  assert.equal(result.talkers, 4);
  assert.equal(result.framesSent, 4 * 150, 'each talker sent 150 frames on its 20 ms schedule');
  // Each frame reaches the 2 other members of its channel: 4 talkers × 150 frames × 2 receivers.
  assert.equal(result.receive.received, 1200, JSON.stringify(result.receive));
  assert.equal(result.receive.lost, 0);
  assert.ok(result.receive.delay.p99 < 100, `relay delay p99 ${result.receive.delay.p99} ms`);
  assert.ok(t.server.stats().sessions === 0 || (await waitNoSessions()), 'the bots left properly');
});

async function waitNoSessions(): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (t.server.stats().sessions === 0) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test('bots that decode: every frame they receive is played from its own packet on a clean link', async () => {
  const result = await runBots({
    url: t.server.url,
    channels: [4],
    botsPerChannel: 2,
    talkersPerChannel: 1,
    durationMs: 2000,
    config: { bitrate: 16000, frameSamples: 960 },
    processes: 1,
    decode: true,
  });
  assert.equal(result.receive.received, 100);
  const d = result.decode;
  assert.ok(d, 'playout counters reported');
  assert.equal(d.received, 100);
  assert.equal(d.lost, 0);
  assert.equal(d.late, 0);
  assert.equal(d.fec + d.plc, 0, 'nothing concealed as lost (an underrun expand on a loaded machine is not loss)');
  assert.ok(d.played >= 95, `played ${d.played} of 100 (the last frames may still be buffered when the bots stop)`);
});
