import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accumulate, clampVolume, finishMix, softClip, MAX_VOLUME } from './mixer.ts';

test('volume is clamped to 0–2; NaN and negatives are 0', () => {
  assert.equal(clampVolume(0.5), 0.5);
  assert.equal(clampVolume(3), MAX_VOLUME);
  assert.equal(clampVolume(-1), 0);
  assert.equal(clampVolume(Number.NaN), 0);
});

test('the soft clipper is exactly linear below the knee and stays inside ±1, monotonic, odd', () => {
  for (const x of [0, 0.1, -0.5, 0.8, -0.8]) assert.equal(softClip(x), x);
  let prev = -Infinity;
  for (let x = -4; x <= 4; x += 0.01) {
    const y = softClip(x);
    assert.ok(y > -1 && y < 1, `|softClip(${x})| < 1`);
    assert.ok(y >= prev, 'monotonic');
    assert.ok(Math.abs(y + softClip(-x)) < 1e-12, 'odd');
    prev = y;
  }
  // Continuous at the knee.
  assert.ok(Math.abs(softClip(0.8 + 1e-9) - 0.8) < 1e-8);
});

test('mixing: gains scale each speaker, sums add, 50 % halves the level, 0 silences', () => {
  const a = Float32Array.from([0.2, -0.2, 0.4]);
  const b = Float32Array.from([0.1, 0.1, -0.1]);
  const acc = new Float32Array(3);
  accumulate(acc, a, 0.5);
  accumulate(acc, b, 1);
  accumulate(acc, b, 0); // locally muted: no contribution
  const out = new Float32Array(3);
  finishMix(acc, out);
  assert.deepEqual(Array.from(out).map((v) => +v.toFixed(6)), [0.2, 0, 0.1]);
});

test('loud overlaps are bent, not wrapped or hard-clipped', () => {
  const loud = Float32Array.from([0.9, -0.9]);
  const acc = new Float32Array(2);
  accumulate(acc, loud, 2);
  accumulate(acc, loud, 2);
  finishMix(acc, acc); // in place
  assert.ok(acc[0]! > 0.95 && acc[0]! <= 1); // float32 may round the curve's limit to 1
  assert.ok(acc[1]! < -0.95 && acc[1]! >= -1);
});
