/**
 * Turns two GET /api/stats samples (totals since the server started) into
 * per-second rates (and the relay hold's percentiles) over the interval between them. Pure: the sample times are
 * passed in. A counter that went down means the server restarted in between;
 * its rate is unknown (null) until the next pair.
 */
import type { Stats } from '../api/types.ts';
import { bucketDiff, bucketPercentile } from '../../../shared/util/bucket-histogram.ts';

export interface StatsSample {
  stats: Stats;
  /** When the answer arrived, on a monotonic clock (performance.now()). */
  atMs: number;
}

export interface DropRow {
  reason: string;
  total: number;
  perSecond: number | null;
}

export interface StatsRates {
  datagramsIn: number | null;
  forwarded: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  /** Every drop reason the server reports, busiest first. */
  drops: DropRow[];
  /** How long the relay held the datagrams it sent in the interval (queueing → sendmsg), ms; null if it sent none. */
  hold: { p50: number; p99: number } | null;
  /** One row per relay shard (worker thread), in index order. */
  shards: ShardRow[];
}

export interface ShardRow {
  index: number;
  channels: number;
  members: number;
  peers: number;
  datagramsIn: number | null;
  forwarded: number | null;
  drops: number | null;
  /** Share of one core its thread used over the interval (0–1); null when unknown. */
  cpu: number | null;
  /** Share of the interval its thread was runnable but waited for a CPU (0–1); null when unknown. */
  cpuWait: number | null;
  overloaded: boolean;
  restarts: number;
}

function rate(before: number | undefined, after: number, seconds: number): number | null {
  if (before === undefined || seconds <= 0 || after < before) return null;
  return (after - before) / seconds;
}

export function statsRates(previous: StatsSample | null, next: StatsSample): StatsRates {
  const seconds = previous === null ? 0 : (next.atMs - previous.atMs) / 1000;
  const was = previous?.stats.relay;
  const now = next.stats.relay;
  const drops = Object.entries(now.drops).map(([reason, total]): DropRow => ({
    reason,
    total,
    // A reason missing before had a total of 0 (servers may list only reasons that happened).
    perSecond: rate(was === undefined ? undefined : (was.drops[reason] ?? 0), total, seconds),
  }));
  drops.sort((a, b) => (b.perSecond ?? 0) - (a.perSecond ?? 0) || b.total - a.total || a.reason.localeCompare(b.reason));
  return {
    datagramsIn: rate(was?.datagramsIn, now.datagramsIn, seconds),
    forwarded: rate(was?.forwarded, now.forwarded, seconds),
    bytesIn: rate(was?.bytesIn, now.bytesIn, seconds),
    bytesOut: rate(was?.bytesOut, now.bytesOut, seconds),
    drops,
    hold: holdOver(previous?.stats.relayHold, next.stats.relayHold),
    shards: next.stats.shards.map((now): ShardRow => {
      const was = previous?.stats.shards.find((s) => s.index === now.index);
      return {
        index: now.index,
        channels: now.channels,
        members: now.members,
        peers: now.peers,
        datagramsIn: rate(was?.datagramsIn, now.datagramsIn, seconds),
        forwarded: rate(was?.forwarded, now.forwarded, seconds),
        drops: rate(was?.drops, now.drops, seconds),
        // ms of CPU per ms of wall time: the share of a core.
        cpu: share(was?.cpuMs, now.cpuMs, seconds),
        cpuWait: share(was?.cpuWaitMs, now.cpuWaitMs, seconds),
        overloaded: now.overloaded,
        restarts: now.restarts,
      };
    }),
  };
}

function share(before: number | null | undefined, after: number | null, seconds: number): number | null {
  if (before == null || after === null) return null;
  const perSecond = rate(before, after, seconds);
  return perSecond === null ? null : perSecond / 1000;
}

function holdOver(before: Stats['relayHold'] | undefined, after: Stats['relayHold']): StatsRates['hold'] {
  if (before === undefined || before.bucketMs !== after.bucketMs) return null;
  const counts = bucketDiff(before.counts, after.counts);
  const p50 = counts && bucketPercentile(counts, after.bucketMs, 0.5);
  const p99 = counts && bucketPercentile(counts, after.bucketMs, 0.99);
  return p50 == null || p99 == null ? null : { p50, p99 };
}
