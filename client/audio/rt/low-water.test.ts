import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LowWater } from './low-water.ts';

test('the floor covers one device burst plus a quantum, and never goes under three quanta', () => {
  assert.equal(new LowWater({ deviceBufferSamples: 481 }).floor, 640);
  assert.equal(new LowWater({ deviceBufferSamples: 128 }).floor, 384);
  assert.equal(new LowWater({ deviceBufferSamples: 0 }).floor, 384);
});

test('underruns raise the mark a quantum at a time up to the ceiling; calm lowers it back to the floor', () => {
  const lw = new LowWater({ deviceBufferSamples: 128, ceiling: 768, calmMs: 1000 });
  assert.equal(lw.observe(0, 0), 384);
  assert.equal(lw.observe(128, 10), 512);
  assert.equal(lw.observe(128, 20), 512, 'no new underrun, not yet calm');
  assert.equal(lw.observe(300, 30), 640);
  assert.equal(lw.observe(400, 40), 768);
  assert.equal(lw.observe(500, 50), 768, 'capped');
  assert.equal(lw.observe(500, 1049), 768);
  assert.equal(lw.observe(500, 1050), 640, 'a calm second lowers it');
  assert.equal(lw.observe(500, 2050), 512);
  assert.equal(lw.observe(500, 3050), 384);
  assert.equal(lw.observe(500, 9050), 384, 'never under the floor');
});
