/**
 * Decides, frame by frame, whether the microphone goes out: voice activation
 * (frame level over a threshold, held open for a hang-over so the ends of words
 * are not clipped) or push-to-talk (the key), and never while self-muted.
 * Pure: one call per frame, time counted in frames; allocates nothing.
 */
import type { TransmitMode } from '../engine-api.ts';

/** Level reported for digital silence. */
export const SILENCE_DB = -100;

/** RMS level of `frame[0..n)` in dBFS (full-scale sine ≈ −3 dB), floored at SILENCE_DB. */
export function frameLevelDb(frame: Float32Array, n = frame.length): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = frame[i]!;
    sum += x * x;
  }
  if (sum === 0 || n === 0) return SILENCE_DB;
  const db = 10 * Math.log10(sum / n);
  return db > SILENCE_DB ? db : SILENCE_DB;
}

export interface GateSettings {
  mode: TransmitMode;
  thresholdDb: number;
  hangoverMs: number;
}

export class TransmitGate {
  mode: TransmitMode = 'vad';
  thresholdDb = -50;
  /** Hang-over in frames (set through `configure`). */
  #hangoverFrames = 20;
  #frameMs = 20;
  #hangoverMs = 400;
  #left = 0;
  /** Push-to-talk key state. */
  pttDown = false;
  selfMute = false;
  /** The voice-activation gate (level or hang-over), whatever the mode. */
  vadOpen = false;

  configure(s: GateSettings): void {
    this.mode = s.mode;
    this.thresholdDb = s.thresholdDb;
    this.#hangoverMs = Math.max(0, s.hangoverMs);
    this.#hangoverFrames = Math.ceil(this.#hangoverMs / this.#frameMs);
  }

  /** Frame duration in ms (the channel's frame size decides it). */
  setFrameMs(frameMs: number): void {
    this.#frameMs = frameMs;
    this.#hangoverFrames = Math.ceil(this.#hangoverMs / frameMs);
  }

  /** One frame at `levelDb`: does it go out? */
  decide(levelDb: number): boolean {
    if (levelDb >= this.thresholdDb) {
      this.#left = this.#hangoverFrames;
      this.vadOpen = true;
    } else if (this.#left > 0) {
      this.#left--;
      this.vadOpen = true;
    } else {
      this.vadOpen = false;
    }
    if (this.selfMute) return false;
    return this.mode === 'ptt' ? this.pttDown : this.vadOpen;
  }

  /** Closes the gate at once (device change, channel change). */
  reset(): void {
    this.#left = 0;
    this.vadOpen = false;
  }
}
