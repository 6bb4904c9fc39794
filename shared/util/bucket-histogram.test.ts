import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketDiff, bucketPercentile } from './bucket-histogram.ts';

test('bucketPercentile reads the upper edge of the bucket holding the p-th item; null when empty', () => {
  const counts = [90, 0, 8, 0, 0, 0, 0, 2]; // 100 items
  assert.equal(bucketPercentile(counts, 0.25, 0.5), 0.25);
  assert.equal(bucketPercentile(counts, 0.25, 0.9), 0.25);
  assert.equal(bucketPercentile(counts, 0.25, 0.91), 0.75);
  assert.equal(bucketPercentile(counts, 0.25, 0.98), 0.75);
  assert.equal(bucketPercentile(counts, 0.25, 0.99), 2);
  assert.equal(bucketPercentile(counts, 0.25, 0), 0.25, 'p = 0: the first item');
  assert.equal(bucketPercentile([0, 0], 0.25, 0.5), null);
  assert.equal(bucketPercentile([], 0.25, 0.5), null);
});

test('bucketDiff: per bucket, the shorter list read as zeros; null when a bucket went down (a restart)', () => {
  assert.deepEqual(bucketDiff([1, 2], [3, 2, 5]), [2, 0, 5]);
  assert.deepEqual(bucketDiff([], [1]), [1]);
  assert.equal(bucketDiff([4, 1], [3, 9]), null);
  assert.equal(bucketDiff([0, 0, 1], [5]), null, 'a trailing bucket that emptied');
});
