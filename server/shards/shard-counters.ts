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

/** Whispers this shard handed to another shard (counted here as well as the sender's datagram in). */
export const WHISPERS_OUT = RELAY_COUNTER_SLOTS;
/** Whispers another shard handed to this one (delivered or dropped here; not a datagram in). */
export const WHISPERS_IN = RELAY_COUNTER_SLOTS + 1;
/** Unawaited rejections (werift's) contained inside this shard's thread (§6 of docs/architecture.md). */
export const UNHANDLED_REJECTIONS = RELAY_COUNTER_SLOTS + 2;
export const SHARD_SLOTS = RELAY_COUNTER_SLOTS + 3;

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
