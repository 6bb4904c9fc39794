import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SILENCE_DB, TransmitGate, frameLevelDb } from './transmit-gate.ts';

test('frame level: full-scale sine ≈ −3 dBFS, half amplitude 6 dB lower, silence floored', () => {
  const sine = Float32Array.from({ length: 960 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 48000));
  assert.ok(Math.abs(frameLevelDb(sine) - -3.01) < 0.05);
  const half = sine.map((x) => x / 2);
  assert.ok(Math.abs(frameLevelDb(sine) - frameLevelDb(half) - 6.02) < 0.05);
  assert.equal(frameLevelDb(new Float32Array(960)), SILENCE_DB);
});

test('voice activation opens at the threshold and holds for the hang-over, then closes', () => {
  const g = new TransmitGate();
  g.configure({ mode: 'vad', thresholdDb: -40, hangoverMs: 100 });
  g.setFrameMs(20);
  assert.equal(g.decide(-60), false);
  assert.equal(g.decide(-39), true);
  // 100 ms hang-over = 5 frames of 20 ms below the threshold still go out.
  const tail = Array.from({ length: 7 }, () => g.decide(-70));
  assert.deepEqual(tail, [true, true, true, true, true, false, false]);
  assert.equal(g.vadOpen, false);
  assert.equal(g.decide(-20), true, 'reopens at once');
});

test('push-to-talk follows the key and ignores the level; self-mute wins over both', () => {
  const g = new TransmitGate();
  g.configure({ mode: 'ptt', thresholdDb: -40, hangoverMs: 0 });
  assert.equal(g.decide(-10), false, 'loud but key up');
  g.pttDown = true;
  assert.equal(g.decide(-90), true, 'quiet but key down');
  g.selfMute = true;
  assert.equal(g.decide(-10), false);
  g.configure({ mode: 'vad', thresholdDb: -40, hangoverMs: 0 });
  assert.equal(g.decide(-10), false, 'self-mute also holds in voice activation');
  assert.equal(g.vadOpen, true, 'the meter still shows the gate');
});

test('the hang-over follows the frame duration', () => {
  const g = new TransmitGate();
  g.configure({ mode: 'vad', thresholdDb: -40, hangoverMs: 100 });
  g.setFrameMs(40);
  g.decide(0);
  const tail = Array.from({ length: 4 }, () => g.decide(-90));
  assert.deepEqual(tail, [true, true, true, false], 'ceil(100/40) = 3 frames');
});
