/** The jitter-counter sums the bots report. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addJitterCounters } from './bot-stats.ts';
import { zeroJitterCounters } from '../../shared/audio/jitter-buffer.ts';

test('zeroJitterCounters is a fresh all-zero record; addJitterCounters adds every counter', () => {
  const total = zeroJitterCounters();
  assert.notEqual(total, zeroJitterCounters());
  assert.ok(Object.values(total).every((v) => v === 0));
  const one = zeroJitterCounters();
  for (const [i, k] of (Object.keys(one) as (keyof typeof one)[]).entries()) one[k] = i + 1;
  addJitterCounters(total, one);
  addJitterCounters(total, one);
  for (const [i, k] of (Object.keys(one) as (keyof typeof one)[]).entries()) assert.equal(total[k], 2 * (i + 1), k);
  assert.equal(Object.keys(total).length, 11);
});
