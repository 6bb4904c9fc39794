import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODER_RETRY_MS, VoiceReceiver } from './voice-receiver.ts';
import { VoiceDecoder, VoiceEncoder } from './opus-codec.ts';
import { tone } from './synth.ts';
import { encodeVoiceDatagram } from '../voice/voice-header.ts';

/** Waits until every speaker has its decoder; throws after `ms`. */
async function waitDecoders(r: VoiceReceiver, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while ([...r.speakers.values()].some((s) => s.decoder === null)) {
    if (Date.now() > deadline) throw new Error(`no decoder after ${ms} ms for tokens ${[...r.speakers.values()].filter((s) => s.decoder === null).map((s) => s.token).join(', ')}`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

test('two speakers are decoded, scaled by their volume and mixed; a muted one is left out', async () => {
  const enc = await VoiceEncoder.create({ bitrate: 32000, frameSamples: 960 });
  const src = tone(0.4, 440, 0.3);
  const packets = Array.from({ length: 20 }, (_, i) => enc.encode(src.subarray(i * 960, (i + 1) * 960)));
  enc.free();
  const r = new VoiceReceiver({ jitter: { mode: 'fixed' } });
  const out = new Float32Array(960);
  const level = (): number => Math.sqrt(out.reduce((a, x) => a + x * x, 0) / out.length);
  const levels: number[] = [];
  for (let i = 0; i < 20; i++) {
    r.push(encodeVoiceDatagram({ token: 1, sequence: i, timestamp: i * 960 }, packets[i]!), i * 20);
    r.push(encodeVoiceDatagram({ token: 2, sequence: i, timestamp: i * 960 }, packets[i]!), i * 20);
    if (i === 0) await waitDecoders(r);
    if (i === 8) r.setVolume(2, 0.5);
    if (i === 14) r.setMuted(2, true);
    r.tick(out);
    levels.push(level());
  }
  // Frames 4–7: both at full volume (2×); 10–13: one at 1, one at 0.5 (1.5×); 16–19: only speaker 1 (1×).
  const both = levels[6]!;
  const oneAndHalf = levels[12]!;
  const one = levels[18]!;
  assert.ok(Math.abs(oneAndHalf / both - 0.75) < 0.05, `volume 0.5 on one of two: ${(oneAndHalf / both).toFixed(3)}`);
  assert.ok(Math.abs(one / both - 0.5) < 0.05, `muting one of two: ${(one / both).toFixed(3)}`);
  r.close();
});

test('a speaker silent for longer than the idle time is forgotten and its decoder freed', async () => {
  const r = new VoiceReceiver();
  r.push(encodeVoiceDatagram({ token: 7, sequence: 0, timestamp: 0 }, new Uint8Array([0xf8, 0xff, 0xfe])), 0);
  await waitDecoders(r);
  const decoder = r.speakers.get(7)!.decoder;
  assert.ok(decoder !== null, 'the speaker has a decoder');
  const free = mock.method(decoder, 'free');
  const out = new Float32Array(960);
  for (let k = 0; k < 10; k++) r.tick(out); // plays the frame, then the spurt ends
  assert.equal(r.evictIdle(5_000), 0, 'not yet idle long enough');
  assert.equal(free.mock.callCount(), 0);
  assert.equal(r.evictIdle(20_000), 1);
  assert.equal(r.speakers.size, 0);
  assert.equal(free.mock.callCount(), 1, 'its decoder was freed');
  r.close();
  assert.equal(free.mock.callCount(), 1, 'and only once');
});

test('frame duration follows the frame size (10, 40, 60 ms channels)', () => {
  const r = new VoiceReceiver({ frameSamples: 480 });
  r.push(encodeVoiceDatagram({ token: 3, sequence: 0, timestamp: 0 }, new Uint8Array([0xf8])), 0);
  assert.equal(r.speakers.get(3)!.jitter.options.frameMs, 10);
  r.close();
});

test('per-user volume and mute outlive the speaker: a token that comes back after eviction, or after a reconfigure, keeps them', () => {
  const r = new VoiceReceiver();
  const packet = (token: number, sequence: number) => encodeVoiceDatagram({ token, sequence, timestamp: sequence * 960 }, new Uint8Array([0xf8]));
  r.setVolume(5, 0.25); // before the speaker was ever heard
  r.setMuted(6, true);
  r.push(packet(5, 0), 0);
  r.push(packet(6, 0), 0);
  assert.equal(r.speakers.get(5)!.volume, 0.25);
  assert.equal(r.speakers.get(6)!.muted, true);
  assert.deepEqual(r.heardWithin(100, 200), [5], 'the muted one is not shown as heard');
  assert.deepEqual(r.heardWithin(300, 200), []);
  assert.equal(r.evictIdle(60_000), 2);
  r.push(packet(5, 1), 60_000);
  assert.equal(r.speakers.get(5)!.volume, 0.25, 'kept across eviction');
  r.reconfigure({ frameSamples: 1920 });
  assert.equal(r.speakers.size, 0, 'speakers start afresh');
  r.push(packet(6, 2), 60_020);
  assert.equal(r.speakers.get(6)!.muted, true, 'kept across a reconfigure');
  assert.equal(r.speakers.get(6)!.jitter.options.frameMs, 40);
  r.close();
});

test('a speaker whose decoder could not be created is forgotten and reported once; datagrams within DECODER_RETRY_MS wait, the next one tries again and plays', async (t) => {
  const enc = await VoiceEncoder.create({ bitrate: 32000, frameSamples: 960 });
  const src = tone(0.2, 440, 0.3);
  const packets = Array.from({ length: 10 }, (_, i) => enc.encode(src.subarray(i * 960, (i + 1) * 960)));
  enc.free();
  const create = VoiceDecoder.create.bind(VoiceDecoder);
  let failures = 2;
  const spy = t.mock.method(VoiceDecoder, 'create', (frameSamples?: number) => (failures-- > 0 ? Promise.reject(new Error('out of memory')) : create(frameSamples)));
  const errors: string[] = [];
  const r = new VoiceReceiver({ jitter: { mode: 'fixed' }, onError: (m) => errors.push(m) });
  const datagram = (i: number) => encodeVoiceDatagram({ token: 4, sequence: i, timestamp: i * 960 }, packets[i]!);
  const settle = () => new Promise((res) => setTimeout(res, 0));

  r.push(datagram(0), 0);
  await settle();
  assert.equal(r.speakers.has(4), false, 'not kept silent with no decoder');
  assert.equal(r.decoderFailures, 1);
  assert.deepEqual(errors, ['an Opus decoder could not be created: out of memory']);
  assert.deepEqual(r.heardWithin(10, 200), [], 'not shown talking');

  r.push(datagram(1), 20); // within the back-off: dropped, no new attempt
  await settle();
  assert.equal(spy.mock.callCount(), 1, 'no attempt per datagram while failing');
  assert.equal(r.decoderBackoffDrops, 1);
  assert.equal(r.speakers.has(4), false);

  r.push(datagram(1), DECODER_RETRY_MS); // tries again, fails again: counted, not reported twice
  await settle();
  assert.equal(r.decoderFailures, 2);
  assert.equal(errors.length, 1);

  r.push(datagram(2), 2 * DECODER_RETRY_MS); // tries again and succeeds
  await waitDecoders(r);
  assert.equal(spy.mock.callCount(), 3, 'one creation per attempt');
  const out = new Float32Array(960);
  const kinds: string[] = [];
  for (let i = 3; i < 10; i++) {
    r.push(datagram(i), 2 * DECODER_RETRY_MS + i * 20);
    r.tick(out);
    kinds.push(r.speakers.get(4)!.last);
  }
  assert.ok(kinds.includes('normal'), `the speaker plays: ${kinds.join(' ')}`);
  assert.ok(Math.sqrt(out.reduce((a, x) => a + x * x, 0) / out.length) > 0.05, 'audibly');
  r.close();
});
