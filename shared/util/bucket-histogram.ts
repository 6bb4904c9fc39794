/**
 * Percentiles of a bucketed histogram given as cumulative counts (totals since
 * start, e.g. the relay hold in /api/stats), over the interval between two
 * reads. Pure, for the admin panel and the benchmark alike.
 */

/** counts[i] − before[i] per bucket, or null if any bucket went down (the source restarted in between). */
export function bucketDiff(before: readonly number[], after: readonly number[]): number[] | null {
  const out = new Array<number>(Math.max(before.length, after.length));
  for (let i = 0; i < out.length; i++) {
    const d = (after[i] ?? 0) - (before[i] ?? 0);
    if (d < 0) return null;
    out[i] = d;
  }
  return out;
}

/**
 * The value below which a share `p` (0–1) of the counted items fall, read as
 * the upper edge of its bucket (`bucketMs` wide), or null when nothing was
 * counted.
 */
export function bucketPercentile(counts: ArrayLike<number>, bucketMs: number, p: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return null;
  const want = Math.max(1, Math.ceil(total * p));
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    acc += counts[i]!;
    // (i + 1) / (1 / bucketMs): 0.1 ms buckets read 1.1, not 1.1000000000000001.
    if (acc >= want) return (i + 1) / (1 / bucketMs);
  }
  return counts.length / (1 / bucketMs);
}
