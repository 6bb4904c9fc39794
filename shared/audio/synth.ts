/**
 * Generated test audio (no recordings, nothing copyrighted): a tone, and a
 * speech-like signal — a glottal pulse train with intonation through vowel
 * formant resonators, in syllables of 4–6 Hz, in phrases separated by pauses
 * (so voice activity detection and talk spurts have something to do).
 * Deterministic for a given seed.
 */
import { SAMPLE_RATE } from '../voice/constants.ts';
import { prng } from '../util/prng.ts';

export function tone(seconds: number, frequency = 440, amplitude = 0.5, sampleRate = SAMPLE_RATE): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  return out;
}


// First three formants (Hz) of a few vowels.
const VOWELS: readonly (readonly [number, number, number])[] = [
  [730, 1090, 2440], // a
  [270, 2290, 3010], // i
  [300, 870, 2240], // u
  [530, 1840, 2480], // e
  [570, 840, 2410], // o
];

/** Two-pole resonator state for one formant. */
class Resonator {
  #y1 = 0;
  #y2 = 0;
  #a1 = 0;
  #a2 = 0;
  #g = 0;
  tune(freq: number, bandwidth: number, sampleRate: number): void {
    const r = Math.exp((-Math.PI * bandwidth) / sampleRate);
    this.#a1 = 2 * r * Math.cos((2 * Math.PI * freq) / sampleRate);
    this.#a2 = -r * r;
    this.#g = 1 - r;
  }
  step(x: number): number {
    const y = this.#g * x + this.#a1 * this.#y1 + this.#a2 * this.#y2;
    this.#y2 = this.#y1;
    this.#y1 = y;
    return y;
  }
}

export interface SpeechOptions {
  seconds: number;
  seed?: number;
  /** Share of time in pauses between phrases (0–0.9). */
  pauseShare?: number;
  sampleRate?: number;
}

export function speechLike(options: SpeechOptions): Float32Array {
  const sr = options.sampleRate ?? SAMPLE_RATE;
  const rand = prng(options.seed ?? 1);
  const out = new Float32Array(Math.round(options.seconds * sr));
  const formants = [new Resonator(), new Resonator(), new Resonator()];
  const pauseShare = options.pauseShare ?? 0.25;
  let i = 0;
  let phase = 0;
  while (i < out.length) {
    // A phrase of 3–7 syllables, then a pause.
    const syllables = 3 + Math.floor(rand() * 5);
    const basePitch = 100 + rand() * 120;
    for (let s = 0; s < syllables && i < out.length; s++) {
      const vowel = VOWELS[Math.floor(rand() * VOWELS.length)]!;
      formants.forEach((f, k) => f.tune(vowel[k]!, 60 + 40 * k, sr));
      const length = Math.round(sr * (0.16 + rand() * 0.09));
      const glide = (rand() - 0.5) * 0.3;
      for (let n = 0; n < length && i < out.length; n++, i++) {
        const t = n / length;
        const pitch = basePitch * (1 + glide * t) * (1 + 0.01 * Math.sin(2 * Math.PI * 5 * (i / sr)));
        phase += pitch / sr;
        // Glottal-ish source: a sawtooth with a little noise (breath).
        const source = (phase % 1) * 2 - 1 + (rand() - 0.5) * 0.1;
        const voiced = formants[0]!.step(source) * 1.0 + formants[1]!.step(source) * 0.6 + formants[2]!.step(source) * 0.3;
        const envelope = Math.sin(Math.PI * t) ** 0.6;
        out[i] = voiced * envelope * 0.9;
      }
    }
    const pause = Math.round(sr * (pauseShare / (1 - pauseShare)) * syllables * 0.2 * (0.7 + rand() * 0.6));
    i += pause; // silence (already zero)
  }
  // Normalise to a -3 dBFS peak.
  let peak = 0;
  for (let k = 0; k < out.length; k++) peak = Math.max(peak, Math.abs(out[k]!));
  if (peak > 0) for (let k = 0; k < out.length; k++) out[k]! *= 0.7 / peak;
  return out;
}
