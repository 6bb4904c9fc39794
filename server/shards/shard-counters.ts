/**
 * The relay shards' counters in one SharedArrayBuffer: each shard owns a
 * block of SHARD_SLOTS float64 slots and is its only writer (its VoiceRelay
 * counts into the first RELAY_COUNTER_SLOTS of them, the shard itself into the
 * rest); the main thread only reads, summing the blocks when asked. Plain
 * increments, no Atomics: a slot has one writer, an aligned float64 store is
 * not torn on the platforms Node runs on, and a reader that sees a value a
 * moment old is what any counter read is. A restarted shard gets the same
 * block and counts on from what the dead one left, so totals never go back.
 */
import { RELAY_COUNTER_SLOTS, readRelayCounters, type RelayCounters } from '../relay/voice-relay.ts';
import { HOLD_BUCKET_MS, HOLD_BUCKETS } from '../relay/relay-limits.ts';

/** Whispers this shard handed to another shard (counted here as well as the sender's datagram in). */
export const WHISPERS_OUT = RELAY_COUNTER_SLOTS;
/** Whispers another shard handed to this one (delivered or dropped here; not a datagram in). */
export const WHISPERS_IN = RELAY_COUNTER_SLOTS + 1;
/** Unawaited rejections (werift's) contained inside this shard's thread (§6 of docs/architecture.md). */
export const UNHANDLED_REJECTIONS = RELAY_COUNTER_SLOTS + 2;
/** The shard's heartbeat: counted up every OVERLOAD_WINDOW_MS by its event loop; the main thread's watchdog reads it. */
export const HEARTBEAT = RELAY_COUNTER_SLOTS + 3;
/** CPU time of the shard's threads, ms (a restarted thread adds to what the dead one used); updated every OVERLOAD_WINDOW_MS. */
export const CPU_MS = RELAY_COUNTER_SLOTS + 4;
/** Time the shard's threads were runnable but waited for a CPU, ms (Linux; NaN where it cannot be read). */
export const CPU_WAIT_MS = RELAY_COUNTER_SLOTS + 5;
/** 1 while the shard's relay is in overload mode (relay-limits.ts), else 0. */
export const OVERLOADED = RELAY_COUNTER_SLOTS + 6;
/** The relay-hold histogram the shard's voice lanes count into (voice-lane-sender.ts, setHoldHistogram). */
export const HOLD_BASE = RELAY_COUNTER_SLOTS + 7;
export const SHARD_SLOTS = HOLD_BASE + HOLD_BUCKETS;

export function createShardCounters(shards: number): SharedArrayBuffer {
  return new SharedArrayBuffer(shards * SHARD_SLOTS * Float64Array.BYTES_PER_ELEMENT);
}

/** Shard `index`'s block of `buffer`. */
export function shardBlock(buffer: SharedArrayBuffer, index: number): Float64Array {
  return new Float64Array(buffer, index * SHARD_SLOTS * Float64Array.BYTES_PER_ELEMENT, SHARD_SLOTS);
}

/** The relay counters of all the blocks added up (allocates; for stats and tests). */
export function sumRelayCounters(blocks: readonly Float64Array[]): RelayCounters {
  const sum = new Float64Array(RELAY_COUNTER_SLOTS);
  for (const b of blocks) for (let i = 0; i < RELAY_COUNTER_SLOTS; i++) sum[i]! += b[i]!;
  return readRelayCounters(sum);
}

/** Shard `index`'s relay-hold buckets (a view for its voice lanes to count into). */
export function holdBuckets(block: Float64Array): Float64Array {
  return block.subarray(HOLD_BASE, HOLD_BASE + HOLD_BUCKETS);
}

/** Relay hold in /api/stats: datagrams per bucket since start, every shard added up, trailing empty buckets left out. */
export interface RelayHold {
  bucketMs: number;
  /** counts[i]: datagrams held [i, i + 1) × bucketMs; the last of HOLD_BUCKETS buckets holds every longer one. */
  counts: number[];
}

export function sumRelayHold(blocks: readonly Float64Array[]): RelayHold {
  const counts = new Array<number>(HOLD_BUCKETS).fill(0);
  for (const b of blocks) for (let i = 0; i < HOLD_BUCKETS; i++) counts[i]! += b[HOLD_BASE + i]!;
  let last = HOLD_BUCKETS;
  while (last > 0 && counts[last - 1] === 0) last--;
  counts.length = last;
  return { bucketMs: HOLD_BUCKET_MS, counts };
}
