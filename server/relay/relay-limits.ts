/**
 * Per-sender admission limits and per-receiver queue limits, derived from the
 * channel's ChannelConfig. Documented in docs/protocol.md ("Relay limits").
 */
import { SAMPLE_RATE, VOICE_HEADER_BYTES, WHISPER_TARGET_BYTES } from '../../shared/voice/constants.ts';
import type { ChannelConfig } from '../../shared/control/protocol.ts';

/** Headroom over the nominal frame rate and bitrate (VBR peaks, clock drift). */
export const RATE_HEADROOM = 1.5;
export const BITRATE_HEADROOM = 2;
/** A sender may run this far ahead of its allowance before packets drop. */
export const BURST_SECONDS = 0.25;
/** Header-only pings a session may send. */
export const PING_RATE_PER_SECOND = 4;
export const PING_BURST = 8;
/** "Voice late is voice lost": a receiver's queue may hold about this much audio. */
export const RECEIVER_QUEUE_MS = 100;

export interface SenderLimits {
  packetsPerSecond: number;
  packetBurst: number;
  bytesPerSecond: number;
  byteBurst: number;
}

export function senderLimitsFor(config: ChannelConfig): SenderLimits {
  const framesPerSecond = SAMPLE_RATE / config.frameSamples;
  const packetsPerSecond = framesPerSecond * RATE_HEADROOM;
  const overhead = VOICE_HEADER_BYTES + WHISPER_TARGET_BYTES;
  const bytesPerSecond = (config.bitrate / 8) * BITRATE_HEADROOM + packetsPerSecond * overhead;
  return {
    packetsPerSecond,
    packetBurst: Math.max(4, Math.ceil(packetsPerSecond * BURST_SECONDS)),
    bytesPerSecond,
    byteBurst: Math.ceil(bytesPerSecond * BURST_SECONDS),
  };
}

/** The least a receiver's queue may hold before drops start: RECEIVER_QUEUE_MS of one talker at this bitrate. */
export function receiverQueueFloorBytes(config: ChannelConfig): number {
  const frames = Math.max(1, Math.ceil((RECEIVER_QUEUE_MS / 1000) * (SAMPLE_RATE / config.frameSamples)));
  return Math.ceil((config.bitrate / 8) * (RECEIVER_QUEUE_MS / 1000) * 1.25) + frames * VOICE_HEADER_BYTES;
}

/**
 * Overload protection: a frame that reaches the relay this much later than its
 * sender's pace implies is dropped before fan-out. When the relay falls behind,
 * the backlog is shed at the door (saving the fan-out work that made it fall
 * behind) instead of being delivered seconds late.
 */
export const STALE_MS = 150;
/**
 * A datagram waits for the end of its event-loop turn to share a packet with
 * others to the same listener (server/rtc/voice-lane-sender.ts), but never
 * longer than this: an overloaded relay's turns run long (hundreds of
 * datagrams, and the thread may lose its core in the middle), and the first
 * datagram of such a turn would otherwise wait for all of them. Also the most
 * VOICE_RELAY_BUNDLE_MS may hold one.
 */
export const MAX_BUNDLE_WAIT_MS = 5;
/**
 * The relay-hold histogram (/api/stats relayHold): how long the voice lanes
 * kept each datagram between the relay queueing it and its sendmsg, in
 * HOLD_BUCKETS buckets of HOLD_BUCKET_MS; the last bucket holds everything
 * from (HOLD_BUCKETS − 1) × HOLD_BUCKET_MS up.
 */
export const HOLD_BUCKET_MS = 0.25;
/** 100 ms: as long as a queued datagram may wait (RECEIVER_QUEUE_MS, the voice lane's age limit). */
export const HOLD_BUCKETS = 400;
/** Share of the measured lateness the pace reference absorbs per frame (follows clock drift, τ ≈ 1000 frames). */
export const DRIFT_FOLLOW = 0.001;
/** No frame from a sender for this long starts a new talk spurt (and a new pace reference). */
export const SPURT_GAP_MS = 200;

/**
 * Overload mode. Every OVERLOAD_WINDOW_MS the relay looks at the frames it
 * was sent: when at least OVERLOAD_MIN_SENDERS spoke, at least half
 * (OVERLOAD_ENTER_LATE_SHARE) of all their frames arrived more than OVERLOAD_LATE_MS behind their senders' pace
 * (a backlog delays most frames; jitter on an uplink, a few) and the relay's
 * thread is busy, the relay itself (not one sender's uplink) is behind, and
 * for the next window the deadline
 * drops from STALE_MS to OVERLOAD_STALE_MS and a receiver's queue may hold
 * OVERLOAD_QUEUE_SHARE of its usual allowance. What is shed is shed early and
 * counted (stale at the door, receiver-backlog per receiver); what is
 * forwarded stays fresh.
 */
export const OVERLOAD_WINDOW_MS = 250;
export const OVERLOAD_LATE_MS = 20;
export const OVERLOAD_MIN_SENDERS = 3;
export const OVERLOAD_STALE_MS = 30;
export const OVERLOAD_QUEUE_SHARE = 0.25;
/** The share of late frames (more than OVERLOAD_LATE_MS) that starts overload mode: a backlog delays most frames. */
export const OVERLOAD_ENTER_LATE_SHARE = 0.5;
/**
 * Once in overload mode the relay stays in it while at least this share of
 * the frames is more than OVERLOAD_LATE_MS late (on a busy thread). Shedding
 * at 30 ms keeps most frames under 20 ms late, so leaving at "fewer than
 * half" let the next window run with the 150 ms deadline, the backlog grow
 * back to it, and a burst of 150-ms-old frames through every other window.
 */
export const OVERLOAD_STAY_LATE_SHARE = 0.125;
/**
 * …and only while the relay's thread is busy: the shard reports whether its
 * event loop was at least this busy over the last window, or the thread ran or
 * waited for a CPU at least this share of it (setBusy). Late senders on an
 * idle relay are their uplinks' doing, not an overload.
 */
export const OVERLOAD_BUSY_UTILIZATION = 0.8;
