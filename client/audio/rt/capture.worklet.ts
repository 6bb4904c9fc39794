/**
 * Capture: copies each 128-sample quantum of the microphone into the capture
 * ring and rings the DSP worker's doorbell once a whole frame is waiting. The
 * frame size is the channel's (480–2880 samples); the worker keeps it in the
 * ring's `notifyAt` header slot, so a channel change needs no message here.
 * Nothing else — no allocation, no messages, no math beyond the copy.
 */
import { RingSlot, SpscRing } from './spsc-ring.ts';
import { ring, scope } from './worklet-scope.ts';

export interface CaptureProcessorOptions {
  ring: SharedArrayBuffer;
  bell: SharedArrayBuffer;
}

class CaptureProcessor extends scope.AudioWorkletProcessor {
  readonly #ring: SpscRing;
  readonly #bell: Int32Array;

  constructor(options: { processorOptions?: unknown }) {
    super();
    const o = options.processorOptions as CaptureProcessorOptions;
    this.#ring = new SpscRing(o.ring);
    this.#bell = new Int32Array(o.bell);
  }

  process(inputs: Float32Array[][]): boolean {
    const samples = inputs[0]?.[0];
    if (samples === undefined) return true;
    const r = this.#ring;
    r.push(samples, samples.length);
    const notifyAt = Atomics.load(r.header, RingSlot.notifyAt);
    if (notifyAt > 0 && r.available() >= notifyAt) ring(this.#bell);
    return true;
  }
}

scope.registerProcessor('voice-capture', CaptureProcessor);
