/**
 * Wait-free single-producer/single-consumer ring of f32 samples on a
 * SharedArrayBuffer (the ringbuf.js design). One thread only writes, one only
 * reads; each owns one counter and reads the other's with Atomics, so neither
 * ever blocks. Counters are free-running u32 sample counts (they wrap after
 * ~24.8 h at 48 kHz, and `(write - read) >>> 0` stays right across the wrap);
 * capacity is a power of two so the index is `counter & mask`.
 *
 * Besides the two counters the header has a few i32 slots for the threads to
 * share small facts without messages: overrun/underrun counts, the audio
 * clock of the last quantum played, the playback low-water mark, the capture
 * frame size.
 *
 * `push`/`pop`/`available`/`free` allocate nothing and are safe on the audio
 * thread; the constructor and `create` allocate and are not.
 */

/** Header slots (i32). */
export const RingSlot = {
  read: 0,
  write: 1,
  /** Producer-side losses: samples that did not fit (capture) — counted by the writer. */
  overruns: 2,
  /** Consumer-side losses: samples the reader wanted but were not there (playback) — counted by the reader. */
  underruns: 3,
  /** Playback: low 32 bits of the AudioWorklet `currentFrame` at the last quantum played. */
  clockFrame: 4,
  /** Playback: the read counter at that quantum. */
  clockCounter: 5,
  /** Playback: the consumer rings the bell below this many samples (the worker adapts it). */
  lowWater: 6,
  /** Capture: the producer rings the bell once this many samples wait — one frame (the worker sets it per channel; 0 = not yet). */
  notifyAt: 7,
} as const;

const HEADER_SLOTS = 16;
const HEADER_BYTES = HEADER_SLOTS * 4;

export class SpscRing {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly header: Int32Array;
  readonly #data: Float32Array;
  readonly #mask: number;

  /** Wraps a buffer made by `SpscRing.create` (in any thread). */
  constructor(buffer: SharedArrayBuffer) {
    const capacity = (buffer.byteLength - HEADER_BYTES) / 4;
    if (!Number.isInteger(capacity) || capacity < 2 || (capacity & (capacity - 1)) !== 0) {
      throw new TypeError(`not a ring buffer (${buffer.byteLength} bytes)`);
    }
    this.buffer = buffer;
    this.capacity = capacity;
    this.#mask = capacity - 1;
    this.header = new Int32Array(buffer, 0, HEADER_SLOTS);
    this.#data = new Float32Array(buffer, HEADER_BYTES, capacity);
  }

  /** A new ring of `capacity` samples (a power of two). */
  static create(capacity: number): SpscRing {
    if (!Number.isInteger(capacity) || capacity < 2 || (capacity & (capacity - 1)) !== 0) {
      throw new TypeError(`ring capacity must be a power of two ≥ 2, got ${capacity}`);
    }
    return new SpscRing(new SharedArrayBuffer(HEADER_BYTES + capacity * 4));
  }

  /** Samples ready to read. */
  available(): number {
    return (Atomics.load(this.header, RingSlot.write) - Atomics.load(this.header, RingSlot.read)) >>> 0;
  }

  /** Room to write. */
  free(): number {
    return this.capacity - this.available();
  }

  /** Total samples written so far (u32, wraps). */
  get writeCounter(): number {
    return Atomics.load(this.header, RingSlot.write) >>> 0;
  }

  /** Total samples read so far (u32, wraps). */
  get readCounter(): number {
    return Atomics.load(this.header, RingSlot.read) >>> 0;
  }

  /**
   * Producer: copies `src[0..n)` in if it all fits and returns n; otherwise
   * writes nothing, counts an overrun and returns 0 (the newest audio is the
   * one dropped, so what is queued stays continuous).
   */
  push(src: Float32Array, n = src.length): number {
    const h = this.header;
    const w = Atomics.load(h, RingSlot.write) >>> 0;
    const used = (w - Atomics.load(h, RingSlot.read)) >>> 0;
    if (this.capacity - used < n) {
      Atomics.add(h, RingSlot.overruns, n);
      return 0;
    }
    const start = w & this.#mask;
    const first = Math.min(n, this.capacity - start);
    const data = this.#data;
    for (let i = 0; i < first; i++) data[start + i] = src[i]!;
    for (let i = first; i < n; i++) data[i - first] = src[i]!;
    Atomics.store(h, RingSlot.write, (w + n) | 0);
    return n;
  }

  /**
   * Consumer: copies up to `n` samples into `dst` and returns how many.
   * It never blocks; what is missing is the caller's to handle (zeros, usually).
   */
  pop(dst: Float32Array, n = dst.length): number {
    const h = this.header;
    const r = Atomics.load(h, RingSlot.read) >>> 0;
    const have = (Atomics.load(h, RingSlot.write) - r) >>> 0;
    const m = have < n ? have : n;
    const start = r & this.#mask;
    const first = Math.min(m, this.capacity - start);
    const data = this.#data;
    for (let i = 0; i < first; i++) dst[i] = data[start + i]!;
    for (let i = first; i < m; i++) dst[i] = data[i - first]!;
    Atomics.store(h, RingSlot.read, (r + m) | 0);
    return m;
  }
}
