/**
 * Mixing: each speaker's frame times its per-user volume (0–2), summed, then a
 * soft clipper that is exactly linear below ±KNEE and bends smoothly towards
 * ±1 above it, so loud overlaps distort gently instead of wrapping or
 * hard-clipping. Works in place on caller-owned buffers; allocates nothing.
 */
export const MAX_VOLUME = 2;
const KNEE = 0.8;
const HEADROOM = 1 - KNEE;

/** Clamps a per-user volume to [0, MAX_VOLUME]; NaN counts as 0. */
export function clampVolume(v: number): number {
  return v > 0 ? (v < MAX_VOLUME ? v : MAX_VOLUME) : 0;
}

/** The soft clip curve for one sample. */
export function softClip(x: number): number {
  if (x > KNEE) return KNEE + HEADROOM * Math.tanh((x - KNEE) / HEADROOM);
  if (x < -KNEE) return -KNEE - HEADROOM * Math.tanh((-x - KNEE) / HEADROOM);
  return x;
}

/** Adds `frame × gain` into `acc` (same length). */
export function accumulate(acc: Float32Array, frame: Float32Array, gain: number): void {
  const g = clampVolume(gain);
  if (g === 0) return;
  const n = acc.length;
  for (let i = 0; i < n; i++) acc[i]! += frame[i]! * g;
}

/** Soft-clips `acc` into `out` (they may be the same buffer). */
export function finishMix(acc: Float32Array, out: Float32Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const x = acc[i]!;
    out[i] = x > KNEE || x < -KNEE ? softClip(x) : x;
  }
}
