/**
 * Playback: copies 128 samples per quantum from the playback ring to the
 * output, fills what is missing with silence (counted as underrun), and rings
 * the DSP worker's doorbell when the ring falls below its low-water mark (set
 * by the worker in the ring's header) so the next mixed frame arrives in time.
 * No allocation, no messages.
 */
import { RingSlot, SpscRing } from './spsc-ring.ts';
import { ring, scope } from './worklet-scope.ts';

export interface PlaybackProcessorOptions {
  ring: SharedArrayBuffer;
  bell: SharedArrayBuffer;
}

class PlaybackProcessor extends scope.AudioWorkletProcessor {
  readonly #ring: SpscRing;
  readonly #bell: Int32Array;
  #started = false;

  constructor(options: { processorOptions?: unknown }) {
    super();
    const o = options.processorOptions as PlaybackProcessorOptions;
    this.#ring = new SpscRing(o.ring);
    this.#bell = new Int32Array(o.bell);
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0];
    const first = out?.[0];
    if (out === undefined || first === undefined) return true;
    const r = this.#ring;
    Atomics.store(r.header, RingSlot.clockFrame, scope.currentFrame | 0);
    Atomics.store(r.header, RingSlot.clockCounter, Atomics.load(r.header, RingSlot.read));
    const n = first.length;
    const got = r.pop(first, n);
    if (got < n) {
      first.fill(0, got);
      // Before the worker's first frame an empty ring is expected, not a glitch.
      if (this.#started) Atomics.add(r.header, RingSlot.underruns, n - got);
    } else {
      this.#started = true;
    }
    for (let c = 1; c < out.length; c++) out[c]!.set(first);
    if (r.available() < Atomics.load(r.header, RingSlot.lowWater)) ring(this.#bell);
    return true;
  }
}

scope.registerProcessor('voice-playback', PlaybackProcessor);
