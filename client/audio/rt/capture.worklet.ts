/**
 * Capture: copies each 128-sample quantum of the microphone into the capture
 * ring and rings the DSP worker's doorbell once a whole frame is waiting.
 * Nothing else — no allocation, no messages, no math beyond the copy.
 */
import { SpscRing } from './spsc-ring.ts';
import { ring, scope } from './worklet-scope.ts';

export interface CaptureProcessorOptions {
  ring: SharedArrayBuffer;
  bell: SharedArrayBuffer;
  /** Ring the bell when at least this many samples wait (one frame). */
  notifyAt: number;
}

class CaptureProcessor extends scope.AudioWorkletProcessor {
  readonly #ring: SpscRing;
  readonly #bell: Int32Array;
  readonly #notifyAt: number;

  constructor(options: { processorOptions?: unknown }) {
    super();
    const o = options.processorOptions as CaptureProcessorOptions;
    this.#ring = new SpscRing(o.ring);
    this.#bell = new Int32Array(o.bell);
    this.#notifyAt = o.notifyAt;
  }

  process(inputs: Float32Array[][]): boolean {
    const samples = inputs[0]?.[0];
    if (samples === undefined) return true;
    const r = this.#ring;
    r.push(samples, samples.length);
    if (r.available() >= this.#notifyAt) ring(this.#bell);
    return true;
  }
}

scope.registerProcessor('voice-capture', CaptureProcessor);
