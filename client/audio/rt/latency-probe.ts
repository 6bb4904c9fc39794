/**
 * Instrumentation for `npm run bench:latency` (off unless the benchmark turns
 * it on). It watches for impulses: on the sending side in captured frames, on
 * the receiving side in mixed frames, and notes when each stage handled the
 * frame that carried one, on the clock both pages share (performance.timeOrigin
 * + performance.now(), ms). The benchmark pairs the two sides by capture
 * timestamp. Marks are few (one per impulse), so keeping them in arrays is
 * fine; the per-packet receive log is a fixed ring.
 */

export interface CaptureMark {
  /** Capture-clock timestamp of the frame (the datagram header's timestamp). */
  timestamp: number;
  /** Sample of the frame where the impulse starts. */
  offset: number;
  /** When the impulse sample entered the audio graph (capture worklet). */
  graphAt: number;
  /** When the worker took the whole frame from the ring. */
  framedAt: number;
  /** When its Opus packet was ready. */
  encodedAt: number;
}

export interface PlayMark {
  /** Sender's timestamp of the frame that carried the impulse to this side. */
  timestamp: number;
  /** Sample of the mixed frame where the impulse starts. */
  offset: number;
  /** When the datagram reached this page's main thread. */
  receivedAt: number;
  /** When the jitter buffer released it for decoding, and when decoding and mixing were done. */
  decodeAt: number;
  decodedAt: number;
  /** Context frame (low 32 bits) at which the impulse sample plays; the page maps it to wall time. */
  contextFrame: number;
}

const LOG = 512;

export class LatencyProbe {
  readonly captures: CaptureMark[] = [];
  readonly plays: PlayMark[] = [];
  readonly threshold: number;
  readonly #now: () => number;
  readonly #seqTs = new Float64Array(LOG).fill(-1);
  readonly #seqAt = new Float64Array(LOG);
  #captureQuiet = true;
  #playQuiet = true;
  #pending: CaptureMark | null = null;

  constructor(now: () => number, threshold = 0.25) {
    this.#now = now;
    this.threshold = threshold;
  }

  now(): number {
    return this.#now();
  }

  /** A captured frame: starts a mark when an impulse begins in it. */
  onCaptured(frame: Float32Array, n: number, timestamp: number, writeCounterNow: number, framedAt: number): void {
    const i = this.#edge(frame, n, true);
    if (i < 0) return;
    const age = (((writeCounterNow - timestamp) >>> 0) - i) / 48;
    this.#pending = { timestamp, offset: i, graphAt: framedAt - age, framedAt, encodedAt: Number.NaN };
  }

  /** The frame just captured was encoded (or not sent). */
  onEncoded(sent: boolean): void {
    const m = this.#pending;
    this.#pending = null;
    if (m && sent) {
      m.encodedAt = this.#now();
      this.captures.push(m);
    }
  }

  /** A datagram arrived (sequence and timestamp from its header; `at` = main-thread arrival). */
  onReceived(sequence: number, timestamp: number, at: number): void {
    const k = sequence % LOG;
    this.#seqTs[k] = timestamp;
    this.#seqAt[k] = at;
  }

  /** A mixed frame: marks it when an impulse begins in it; `sequence` is what the speaker played. */
  onMixed(out: Float32Array, n: number, sequence: number, decodeAt: number, contextFrameOfFirstSample: number): void {
    const i = this.#edge(out, n, false);
    if (i < 0 || sequence < 0) return;
    const k = sequence % LOG;
    this.plays.push({
      timestamp: this.#seqTs[k]!,
      offset: i,
      receivedAt: this.#seqAt[k]!,
      decodeAt,
      decodedAt: this.#now(),
      contextFrame: (contextFrameOfFirstSample + i) >>> 0,
    });
  }

  /** First sample over the threshold after a quiet frame (rising edge of an impulse train), or -1. */
  #edge(frame: Float32Array, n: number, capture: boolean): number {
    let at = -1;
    for (let i = 0; i < n; i++) {
      const x = frame[i]!;
      if (x > this.threshold || x < -this.threshold) {
        at = i;
        break;
      }
    }
    const quiet = capture ? this.#captureQuiet : this.#playQuiet;
    if (capture) this.#captureQuiet = at < 0;
    else this.#playQuiet = at < 0;
    return quiet ? at : -1;
  }
}
