/** Audio and datagram constants shared by the client, the relay and the bots. */

/** Every voice path runs at 48 kHz mono. */
export const SAMPLE_RATE = 48_000;
/** Samples in one 20 ms frame; the header timestamp advances by this much per frame. */
export const FRAME_SAMPLES = 960;
/** One frame of FRAME_SAMPLES, in ms. */
export const FRAME_MS = (FRAME_SAMPLES * 1000) / SAMPLE_RATE;
/** Frame sizes (in samples at 48 kHz) a channel may configure: 10, 20, 40, 60 ms. */
export const ALLOWED_FRAME_SAMPLES = [480, 960, 1920, 2880] as const;
export type FrameSamples = (typeof ALLOWED_FRAME_SAMPLES)[number];

/** u32 session token + u64 flags/sequence + u32 timestamp. */
export const VOICE_HEADER_BYTES = 16;
/** A whisper carries the target's u32 session token right after the header. */
export const WHISPER_TARGET_BYTES = 4;
/** RFC 6716 §3.4: the largest Opus packet for one frame. */
export const MAX_OPUS_PACKET_BYTES = 1275;
/** Largest datagram the relay accepts: header + whisper target + one maximal Opus packet. */
export const MAX_DATAGRAM_BYTES = VOICE_HEADER_BYTES + WHISPER_TARGET_BYTES + MAX_OPUS_PACKET_BYTES;

/** Bit 63 of the u64 sequence field: this datagram is a whisper. */
export const WHISPER_FLAG_HIGH_WORD = 0x8000_0000;
/**
 * Sequences are carried in 63 bits but must stay below 2^53 so that every
 * implementation can hold them exactly in an IEEE double (2^53 frames of 20 ms
 * is 5.7 million years). Bits 62..53 are therefore always zero.
 */
export const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;
/** Largest value of the high 32-bit word of a valid sequence (2^21 - 1). */
export const MAX_SEQUENCE_HIGH_WORD = 0x1f_ffff;

/** WebRTC DataChannel id both sides negotiate out of band for the voice lane. */
export const VOICE_CHANNEL_ID = 0;
export const VOICE_CHANNEL_LABEL = 'voice';
/** How both sides create the voice lane: negotiated out of band, unordered, never retransmitted. */
export const VOICE_CHANNEL_INIT = Object.freeze({ negotiated: true, id: VOICE_CHANNEL_ID, ordered: false, maxRetransmits: 0 } as const);
