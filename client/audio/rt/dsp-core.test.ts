/**
 * The worker's core driven frame by frame in Node with real rings and real
 * libopus: a tone captured by A reaches B's playback ring at its frequency,
 * silence is not sent, and B's per-user volume, local mute and deafen act on
 * what B plays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DspCore } from './dsp-core.ts';
import { SpscRing } from './spsc-ring.ts';
import { encodeVoiceDatagram } from '../../../shared/voice/voice-header.ts';
import { tone } from '../../../shared/audio/synth.ts';
import { VoiceDecoder } from '../../../shared/audio/opus-codec.ts';

const CHANNEL = { bitrate: 32_000, frameSamples: 960 } as const;
const FRAME = 960;

interface Side {
  core: DspCore;
  capture: SpscRing;
  playback: SpscRing;
  sent: { opus: Uint8Array; timestamp: number }[];
}

async function side(): Promise<Side> {
  const capture = SpscRing.create(8192);
  const playback = SpscRing.create(8192);
  const sent: Side['sent'] = [];
  const core = new DspCore({ capture, playback, send: (opus, timestamp) => sent.push({ opus: opus.slice(), timestamp }) });
  core.gate.configure({ mode: 'vad', thresholdDb: -45, hangoverMs: 100 });
  await core.setChannel(CHANNEL);
  return { core, capture, playback, sent };
}

/**
 * Feeds `audio` through A in 128-sample quanta; every frame A sends goes to B as
 * token 7; B plays one frame per 20 ms. Returns what B played. Yields between
 * frames so B's decoder (created asynchronously on the first packet) arrives.
 */
async function run(a: Side, b: Side, audio: Float32Array, onFrame?: (i: number) => void): Promise<Float32Array> {
  const played = new Float32Array(audio.length + 8 * FRAME);
  let seq = 0;
  let taken = 0;
  const out = new Float32Array(FRAME);
  for (let f = 0; f * FRAME < played.length; f++) {
    onFrame?.(f);
    const chunk = audio.subarray(f * FRAME, (f + 1) * FRAME);
    for (let q = 0; q < chunk.length; q += 128) a.capture.push(chunk.subarray(q, q + 128));
    a.core.pumpCapture();
    for (const p of a.sent.splice(0)) b.core.receive(encodeVoiceDatagram({ token: 7, sequence: seq++, timestamp: p.timestamp }, p.opus), f * 20);
    await new Promise((resolve) => setImmediate(resolve));
    b.core.pumpPlayback(f * 20, 384);
    const n = b.playback.pop(out, FRAME);
    played.set(out.subarray(0, n), taken);
    taken += n;
  }
  return played;
}

function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / x.length);
}

/** Frequency by counting rising zero crossings. */
function frequency(x: Float32Array): number {
  let n = 0;
  for (let i = 1; i < x.length; i++) if (x[i - 1]! < 0 && x[i]! >= 0) n++;
  return (n * 48_000) / x.length;
}

test('a 440 Hz tone captured by A plays on B at 440 Hz and about its level; speaking shows A', async () => {
  const [a, b] = [await side(), await side()];
  const src = tone(1, 440, 0.3);
  let midDb = -100;
  const played = await run(a, b, src, (f) => {
    if (f === 30) midDb = b.core.outputDb;
  });
  assert.ok(a.core.framesSent >= 49, `A sent ${a.core.framesSent} frames`);
  const steady = played.subarray(10 * FRAME, 40 * FRAME);
  assert.ok(Math.abs(frequency(steady) - 440) < 5, `B plays ${frequency(steady).toFixed(1)} Hz`);
  const ratio = rms(steady) / rms(src);
  assert.ok(ratio > 0.8 && ratio < 1.2, `level ratio ${ratio.toFixed(2)}`);
  assert.deepEqual(b.core.speaking(40 * 20), [7]);
  assert.ok(midDb > -20, `output level while A talks: ${midDb.toFixed(1)} dBFS`);
});

test('voice activation: silent stretches send nothing; timestamps follow the capture clock across the gap', async () => {
  const a = await side();
  const burst = tone(0.2, 300, 0.3);
  const audio = new Float32Array(48_000);
  audio.set(burst, 0); // 0–200 ms
  audio.set(burst, 28_800); // 600–800 ms
  const frames: number[] = [];
  for (let f = 0; f < 50; f++) {
    a.capture.push(audio.subarray(f * FRAME, (f + 1) * FRAME));
    a.core.pumpCapture();
    for (const p of a.sent.splice(0)) frames.push(p.timestamp / FRAME);
  }
  // 10 frames of tone + 5 of hang-over (100 ms), then nothing until frame 30.
  assert.deepEqual(frames, [...range(0, 15), ...range(30, 45)]);
  assert.equal(a.core.framesSent, 30);
});

test('per-user volume 50 % halves A in B\'s output; local mute and deafen silence it', async () => {
  const [a, b] = [await side(), await side()];
  const src = tone(3, 440, 0.3);
  const played = await run(a, b, src, (f) => {
    if (f === 50) b.core.setUserVolume(7, 0.5);
    if (f === 100) b.core.setUserMuted(7, true);
    if (f === 120) b.core.setUserMuted(7, false);
    if (f === 130) {
      b.core.setUserVolume(7, 1);
      b.core.deaf = true;
    }
  });
  const full = rms(played.subarray(20 * FRAME, 50 * FRAME));
  const half = rms(played.subarray(60 * FRAME, 100 * FRAME));
  assert.ok(Math.abs(half / full - 0.5) < 0.05, `50 % volume gives ${(half / full).toFixed(3)}`);
  assert.equal(rms(played.subarray(105 * FRAME, 120 * FRAME)), 0, 'locally muted');
  assert.ok(rms(played.subarray(124 * FRAME, 130 * FRAME)) > 0.05, 'unmuted again');
  assert.equal(rms(played.subarray(135 * FRAME, 150 * FRAME)), 0, 'deafened');
  assert.deepEqual(b.core.speaking(150 * 20), [], 'deafened: nobody shown speaking');
});

test('push-to-talk: nothing goes out with the key up, every frame with it down; self-mute stops it', async () => {
  const a = await side();
  a.core.gate.configure({ mode: 'ptt', thresholdDb: -45, hangoverMs: 0 });
  const src = tone(0.6, 440, 0.3);
  const sentPer = (from: number, to: number): number => {
    for (let f = from; f < to; f++) {
      a.capture.push(src.subarray(f * FRAME, (f + 1) * FRAME));
      a.core.pumpCapture();
    }
    return a.sent.splice(0).length;
  };
  assert.equal(sentPer(0, 10), 0);
  a.core.gate.pttDown = true;
  assert.equal(sentPer(10, 20), 10);
  a.core.gate.selfMute = true;
  assert.equal(sentPer(20, 30), 0);
});

test('playback keeps the ring near its low-water mark and plays silence when nobody talks', async () => {
  const b = await side();
  assert.equal(b.core.pumpPlayback(0, 384), 1, 'an empty ring gets one frame');
  assert.equal(b.core.pumpPlayback(0, 384), 0, 'a ring above low water gets none');
  const out = new Float32Array(700);
  b.playback.pop(out, 700);
  assert.equal(b.core.pumpPlayback(0, 384), 1, 'below low water: the next frame');
  assert.equal(b.playback.available(), 260 + 960);
  assert.equal(rms(out), 0);
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

test('the latency probe marks each impulse on both sides, pairs them by timestamp, and its stage times run in order', async () => {
  const { LatencyProbe } = await import('./latency-probe.ts');
  const [a, b] = [await side(), await side()];
  let clock = 0;
  a.core.probe = new LatencyProbe(() => clock);
  b.core.probe = new LatencyProbe(() => clock);
  a.core.gate.configure({ mode: 'ptt', thresholdDb: 0, hangoverMs: 0 });
  a.core.gate.pttDown = true;
  // A 5 ms 1 kHz burst every 200 ms, starting mid-frame.
  const audio = new Float32Array(48_000);
  for (let start = 500; start + 240 < audio.length; start += 9600) {
    for (let i = 0; i < 240; i++) audio[start + i] = 0.8 * Math.sin((2 * Math.PI * 1000 * i) / 48_000);
  }
  await run(a, b, audio, (f) => (clock = f * 20));
  const caps = a.core.probe.captures;
  const plays = b.core.probe.plays;
  assert.equal(caps.length, 5);
  assert.deepEqual(caps.map((c) => c.timestamp + c.offset), [503, 10_103, 19_703, 29_303, 38_903], 'the first sample over the 0.25 threshold');
  assert.equal(plays.length, 5, 'every impulse is found in B\'s mix');
  for (const [i, p] of plays.entries()) {
    const c = caps[i]!;
    const shift = p.timestamp + p.offset - (c.timestamp + c.offset);
    assert.ok(shift >= 0 && shift < 960, `impulse ${i} lands ${shift} samples later (Opus look-ahead)`);
    assert.ok(c.graphAt <= c.framedAt && c.framedAt <= c.encodedAt && c.encodedAt <= p.receivedAt && p.receivedAt <= p.decodeAt && p.decodeAt <= p.decodedAt);
  }
});

test('a speaker\'s decoder that cannot be created comes out as the core\'s onError (the worker\'s \'error\' message)', async (t) => {
  t.mock.method(VoiceDecoder, 'create', () => Promise.reject(new Error('no memory')));
  const errors: string[] = [];
  const core = new DspCore({ capture: SpscRing.create(8192), playback: SpscRing.create(8192), send: () => {}, onError: (m) => errors.push(m) });
  core.receive(encodeVoiceDatagram({ token: 3, sequence: 0, timestamp: 0 }, new Uint8Array([0xf8])), 0);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(errors, ['an Opus decoder could not be created: no memory']);
  assert.deepEqual(core.speaking(10), [], 'not shown talking');
  core.close();
});
