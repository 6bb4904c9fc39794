/**
 * Per-speaker jitter buffer, NetEQ-style: packets are pushed in as they arrive,
 * one fixed-length frame is pulled out per playout tick, and each pull makes
 * exactly one decision — play a packet, recover the missing frame from the
 * next packet's in-band FEC, conceal it (PLC), or stay silent — which the
 * caller carries out with its decoder. Decision logic and DSP stay apart, and
 * time is an argument, so traces can be replayed frame by frame in tests.
 *
 * Packets wait in a min-heap ordered by sequence. Playback starts once the
 * buffer holds the target depth (the seed's fixed 40 ms, or an adaptive target
 * that follows measured arrival jitter, down to one frame on a clean link).
 * An underrun grows the delay by a frame instead of giving the frame up; a talk
 * spurt ends after a few such frames with nothing buffered, and the buffer then
 * resets and waits for the watermark again. When more than the target stays
 * buffered it drops a frame every few ticks, and never lets more than target +
 * margin accumulate, so delay never grows with continuous transmission on an
 * unstable link (Mumble #6354).
 *
 * Nothing here allocates per packet or per tick: the heap, the jitter histogram
 * and the decision object are made once.
 */
import { SAMPLE_RATE } from '../voice/constants.ts';

export type PlayoutMode = 'fixed' | 'adaptive';

export interface JitterBufferOptions {
  /** 'fixed': always `fixedTargetFrames`; 'adaptive': follow measured jitter. */
  mode: PlayoutMode;
  /** Duration of one frame in ms (20 for 960 samples at 48 kHz). */
  frameMs: number;
  /** Samples per frame, to read timestamps (960). */
  frameSamples: number;
  /** Target depth in fixed mode (2 frames = the seed's 40 ms). */
  fixedTargetFrames: number;
  /** Bounds of the adaptive target, in frames. */
  minTargetFrames: number;
  maxTargetFrames: number;
  /** Frames beyond the target that may be buffered before the oldest are dropped. */
  catchUpMarginFrames: number;
  /** Underrun frames in a row, with nothing buffered, that end a talk spurt. */
  maxConcealFrames: number;
  /** Heap capacity in packets; later packets beyond it are refused as overflow. */
  capacity: number;
  /** Quantile of the arrival-delay distribution the adaptive target covers. */
  adaptiveQuantile: number;
  /** Per-packet forgetting factor of the delay histogram (NetEQ uses ~0.9993 per packet at 50 pps; lower adapts faster). */
  histogramForget: number;
}

export const DEFAULT_JITTER_OPTIONS: Readonly<JitterBufferOptions> = Object.freeze({
  mode: 'adaptive',
  frameMs: 20,
  frameSamples: 960,
  fixedTargetFrames: 2,
  minTargetFrames: 1,
  maxTargetFrames: 10,
  catchUpMarginFrames: 3,
  maxConcealFrames: 3,
  capacity: 64,
  adaptiveQuantile: 0.95,
  histogramForget: 0.995,
});

export type DecisionKind =
  | 'silence' // nothing to play: waiting for the watermark, or between talk spurts
  | 'normal' // decode `packet`
  | 'fec' // the frame is lost; decode it from `packet` (the next one) with FEC
  | 'plc' // the frame is lost and no FEC is at hand: conceal
  | 'expand'; // underrun: conceal, but keep waiting for the frame (it plays if it arrives next tick)

export interface Decision {
  kind: DecisionKind;
  /** The packet to decode for 'normal' and 'fec'; null otherwise. */
  packet: Uint8Array | null;
  /** Sequence of the frame this decision plays (-1 for silence). */
  sequence: number;
}

export interface JitterCounters {
  /** Packets accepted into the buffer. */
  received: number;
  /** Frames played from their own packet. */
  played: number;
  /** Frames recovered from the next packet's FEC. */
  fec: number;
  /** Lost frames concealed with PLC. */
  plc: number;
  /** Concealed frames on underrun (nothing buffered); includes the few after a talk spurt ends. */
  expand: number;
  /**
   * Frames whose packet never came in time: every FEC or PLC frame, every frame
   * skipped by catch-up without its packet, and the sequence hole before a new
   * talk spurt. Underrun concealment ('expand') is not loss: no frame is given up.
   */
  lost: number;
  /** Packets that arrived after their frame was played or concealed. */
  late: number;
  duplicate: number;
  /** Frames dropped to bring the delay back to the target (soft shrink and hard catch-up). */
  discarded: number;
  /** Packets refused because the heap was full. */
  overflow: number;
  /** Ticks that produced silence. */
  silence: number;
}

export interface JitterStats {
  /** Audio buffered right now (ms), counted from the next frame to play to the newest packet. */
  depthMs: number;
  targetMs: number;
  /** Relative arrival delay covering `adaptiveQuantile` of packets (ms). */
  jitterMs: number;
  playing: boolean;
  lifetime: JitterCounters;
  /** Since the previous `readStats()`. */
  interval: JitterCounters;
}

/** Every counter at 0 (a fresh record each call). */
export function zeroJitterCounters(): JitterCounters {
  return { received: 0, played: 0, fec: 0, plc: 0, expand: 0, lost: 0, late: 0, duplicate: 0, discarded: 0, overflow: 0, silence: 0 };
}

const HISTOGRAM_BUCKETS = 32;
/** A sequence jump longer than this (1 s of 20 ms frames) is a stream restart, not loss. */
const RESYNC_FRAMES = 50;
/** Packets per window of the arrival baseline (2 s at 50 packets/s, as NetEQ). */
const BASELINE_WINDOW = 100;
/**
 * Ticks in a row with more than target + 1 frames buffered before one frame is
 * dropped to shrink the delay (one frame of slack is normal arrival jitter
 * within a tick). Dropping a frame is audible, so it happens at most every
 * half second; a time-stretching DSP could take this over later.
 */
const SHRINK_TICKS = 25;

export class JitterBuffer {
  readonly options: Readonly<JitterBufferOptions>;
  // Min-heap on sequence, as parallel arrays sized once.
  readonly #seqs: Float64Array;
  readonly #packets: (Uint8Array | null)[];
  #size = 0;
  /** Newest sequence ever accepted (for depth). */
  #newest = -1;

  #playing = false;
  /** Next sequence to play while playing; everything below it is history. */
  #next = 0;
  /** Lowest sequence still acceptable (set when a spurt starts or ends). */
  #floor = 0;
  /** Concealed frames in a row (lost or expanded). */
  #concealRun = 0;
  /** Last sequence played, recovered or concealed as lost (-1 before the first). */
  #lastConsumed = -1;
  /** Silent ticks with a packet waiting below the watermark. */
  #waitTicks = 0;
  /** Ticks in a row with more than the target buffered. */
  #excessTicks = 0;

  // Adaptive target: histogram of relative arrival delay, in frames.
  readonly #hist = new Float64Array(HISTOGRAM_BUCKETS);
  #baseTs = 0;
  #minCur = 0;
  #minPrev = 0;
  #windowCount = 0;
  #haveBase = false;
  #targetFrames: number;
  #jitterFrames = 0;

  readonly #decision: Decision = { kind: 'silence', packet: null, sequence: -1 };
  #life = zeroJitterCounters();
  #interval = zeroJitterCounters();

  constructor(options: Partial<JitterBufferOptions> = {}) {
    // One frame's duration follows from its size unless given: 480 → 10 ms, 2880 → 60 ms.
    const frameMs = options.frameMs ?? (options.frameSamples !== undefined ? (options.frameSamples * 1000) / SAMPLE_RATE : DEFAULT_JITTER_OPTIONS.frameMs);
    this.options = Object.freeze({ ...DEFAULT_JITTER_OPTIONS, ...options, frameMs });
    const o = this.options;
    if (!(o.frameMs > 0) || !(o.frameSamples > 0) || o.capacity < 4) throw new TypeError('invalid jitter buffer options');
    if (o.minTargetFrames < 1 || o.maxTargetFrames < o.minTargetFrames || o.fixedTargetFrames < 1) throw new TypeError('invalid target bounds');
    this.#seqs = new Float64Array(o.capacity);
    this.#packets = new Array<Uint8Array | null>(o.capacity).fill(null);
    this.#targetFrames = o.mode === 'fixed' ? o.fixedTargetFrames : o.minTargetFrames;
    this.#hist[0] = 1;
  }

  /** Target depth in frames right now. */
  get targetFrames(): number {
    return this.#targetFrames;
  }

  /** Frames buffered from the next one to play to the newest received (0 when empty). */
  get depthFrames(): number {
    if (this.#size === 0) return 0;
    const from = this.#playing ? this.#next : this.#seqs[0]!;
    return Math.max(0, this.#newest - from + 1);
  }

  get playing(): boolean {
    return this.#playing;
  }

  /**
   * One packet from the network. `timestamp` is the header's sample clock,
   * `nowMs` the local arrival time. The payload is kept by reference.
   * Returns what happened to it. Late packets still inform the jitter estimate.
   */
  insert(sequence: number, timestamp: number, payload: Uint8Array, nowMs: number): 'accepted' | 'late' | 'duplicate' | 'overflow' {
    if (this.#contains(sequence)) return this.#count('duplicate');
    this.#observeArrival(timestamp, nowMs);
    if (sequence < this.#floor) return this.#count('late');
    if (this.#size === this.options.capacity) return this.#count('overflow');
    this.#push(sequence, payload);
    if (sequence > this.#newest) this.#newest = sequence;
    this.#life.received++;
    this.#interval.received++;
    return 'accepted';
  }

  /** One playout tick: the decision for the next frame. The returned object is reused. */
  pull(): Readonly<Decision> {
    const d = this.#decision;
    if (!this.#playing && !this.#start()) return this.#silence();
    this.#catchUp();
    this.#shrink();
    const top = this.#size > 0 ? this.#seqs[0]! : -1;
    if (top === this.#next) {
      d.kind = 'normal';
      d.packet = this.#pop();
      d.sequence = this.#next;
      this.#concealRun = 0;
      this.#consume();
      this.#life.played++;
      this.#interval.played++;
      return d;
    }
    // Missing frame with later ones here, but less buffered than the target asks for: the link
    // needs more delay than we have, so wait for the frame (grow by a frame) rather than give it up.
    const starved = this.#size > 0 && this.depthFrames < this.#targetFrames && this.#concealRun < this.options.maxConcealFrames;
    if (this.#size === 0 || starved) {
      if (this.#size === 0 && this.#concealRun >= this.options.maxConcealFrames) {
        // Nothing buffered and nothing arriving: the talk spurt is over. Reset and wait for the
        // watermark; no sequence was used up, so the sender may continue at the next one.
        this.#playing = false;
        this.#floor = this.#next;
        this.#haveBase = false;
        return this.#silence();
      }
      // Underrun: conceal without giving up on the frame (NetEQ's "expand"); if it arrives
      // next tick it still plays, one frame later: the buffer grows by what the link needed.
      d.kind = 'expand';
      d.packet = null;
      d.sequence = this.#next;
      this.#concealRun++;
      this.#life.expand++;
      this.#interval.expand++;
      return d;
    }
    // The frame is missing and a later one is here: it is lost.
    d.kind = top === this.#next + 1 ? 'fec' : 'plc';
    d.packet = d.kind === 'fec' ? this.#packets[0]! : null; // the FEC carrier stays in the heap and plays next tick
    d.sequence = this.#next;
    this.#concealRun++;
    this.#consume();
    this.#life[d.kind]++;
    this.#interval[d.kind]++;
    this.#life.lost++;
    this.#interval.lost++;
    return d;
  }

  /** Starts a spurt once the watermark is reached (or the first packet has waited `target` ticks). */
  #start(): boolean {
    if (this.#size === 0) {
      this.#waitTicks = 0;
      return false;
    }
    this.#waitTicks++;
    if (this.depthFrames < this.#targetFrames && this.#waitTicks < this.#targetFrames) return false;
    const first = this.#seqs[0]!;
    // Sequences run on across talk spurts; a hole before this spurt's first packet was lost on the way.
    const gap = this.#lastConsumed < 0 ? 0 : first - this.#lastConsumed - 1;
    if (gap > 0 && gap <= RESYNC_FRAMES) {
      this.#life.lost += gap;
      this.#interval.lost += gap;
    }
    this.#playing = true;
    this.#next = first;
    this.#floor = first;
    this.#concealRun = 0;
    this.#waitTicks = 0;
    this.#excessTicks = 0;
    return true;
  }

  /** The frame at `#next` has been decided (played, recovered or concealed as lost). */
  #consume(): void {
    this.#lastConsumed = this.#next;
    this.#next++;
    this.#floor = this.#next;
  }

  /** Depth, target and counters; the interval counters restart. Allocates (call it per second, not per frame). */
  readStats(): JitterStats {
    const interval = this.#interval;
    this.#interval = zeroJitterCounters();
    const f = this.options.frameMs;
    return {
      depthMs: this.depthFrames * f,
      targetMs: this.#targetFrames * f,
      jitterMs: this.#jitterFrames * f,
      playing: this.#playing,
      lifetime: { ...this.#life },
      interval,
    };
  }

  // ---- adaptive target --------------------------------------------------------

  #observeArrival(timestamp: number, nowMs: number): void {
    if (this.options.mode === 'fixed') return;
    const o = this.options;
    const samplesPerMs = o.frameSamples / o.frameMs;
    if (!this.#haveBase) {
      this.#haveBase = true;
      this.#baseTs = timestamp;
      this.#minCur = nowMs;
      this.#minPrev = nowMs;
      this.#windowCount = 0;
      return;
    }
    // Transit time up to a constant: arrival minus media time. The delay is measured against
    // the fastest transit of the last one to two windows, so a sender clock that runs slow or
    // fast is followed instead of reading as ever-growing jitter.
    const transit = nowMs - ((timestamp - this.#baseTs) | 0) / samplesPerMs;
    if (transit < this.#minCur) this.#minCur = transit;
    if (++this.#windowCount >= BASELINE_WINDOW) {
      this.#minPrev = this.#minCur;
      this.#minCur = transit;
      this.#windowCount = 0;
    }
    const delay = transit - (this.#minCur < this.#minPrev ? this.#minCur : this.#minPrev);
    let bucket = Math.floor(delay / o.frameMs);
    if (bucket >= HISTOGRAM_BUCKETS) bucket = HISTOGRAM_BUCKETS - 1;
    const h = this.#hist;
    const keep = o.histogramForget;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) h[i]! *= keep;
    h[bucket]! += 1 - keep;
    let sum = 0;
    let k = 0;
    for (; k < HISTOGRAM_BUCKETS - 1; k++) {
      sum += h[k]!;
      if (sum >= o.adaptiveQuantile) break;
    }
    this.#jitterFrames = k;
    // Cover the delay quantile, plus the frame being waited for.
    const target = k + 1;
    this.#targetFrames = target < o.minTargetFrames ? o.minTargetFrames : target > o.maxTargetFrames ? o.maxTargetFrames : target;
  }

  // ---- catch-up ------------------------------------------------------------------

  /**
   * Hard limit: never more than target + margin frames buffered. Jumps straight
   * to the newest audio in one step (work bounded by the heap size, whatever
   * the sequence jump); a jump beyond RESYNC_FRAMES is a stream restart, not loss.
   */
  #catchUp(): void {
    const limit = this.#targetFrames + this.options.catchUpMarginFrames;
    if (this.#size === 0 || this.depthFrames <= limit) return;
    const newNext = this.#newest - limit + 1;
    const jump = newNext - this.#next;
    let popped = 0;
    let land = newNext;
    if (jump > RESYNC_FRAMES) {
      // Too far to be loss (a restart, or a long backlog): drop everything older and play on from
      // the oldest packet still buffered, never from frames before it that may never have been sent.
      while (this.#size > 0 && this.#seqs[0]! < newNext) {
        this.#pop();
        popped++;
      }
      land = this.#size > 0 ? this.#seqs[0]! : newNext;
      this.#life.discarded += popped;
      this.#interval.discarded += popped;
    } else {
      while (this.#size > 0 && this.#seqs[0]! < newNext) {
        this.#pop();
        popped++;
      }
      this.#life.discarded += jump;
      this.#interval.discarded += jump;
      this.#life.lost += jump - popped;
      this.#interval.lost += jump - popped;
    }
    this.#next = land;
    this.#floor = land;
    this.#lastConsumed = land - 1;
    this.#excessTicks = 0;
  }

  /**
   * Soft limit: when more than target + 1 frames have been buffered for
   * SHRINK_TICKS ticks in a row (after a burst, or once the jitter estimate came
   * down), drop one frame, so the delay returns towards the target instead of
   * staying high.
   */
  #shrink(): void {
    if (this.depthFrames <= this.#targetFrames + 1) {
      this.#excessTicks = 0;
      return;
    }
    if (++this.#excessTicks < SHRINK_TICKS || this.#seqs[0] !== this.#next) return;
    this.#pop();
    this.#lastConsumed = this.#next;
    this.#next++;
    this.#floor = this.#next;
    this.#excessTicks = 0;
    this.#life.discarded++;
    this.#interval.discarded++;
  }

  #silence(): Readonly<Decision> {
    const d = this.#decision;
    d.kind = 'silence';
    d.packet = null;
    d.sequence = -1;
    this.#life.silence++;
    this.#interval.silence++;
    return d;
  }

  #count(what: 'late' | 'duplicate' | 'overflow'): 'late' | 'duplicate' | 'overflow' {
    this.#life[what]++;
    this.#interval[what]++;
    return what;
  }

  // ---- min-heap on sequence -------------------------------------------------------

  #contains(seq: number): boolean {
    for (let i = 0; i < this.#size; i++) if (this.#seqs[i] === seq) return true;
    return false;
  }

  #push(seq: number, payload: Uint8Array): void {
    const s = this.#seqs;
    const p = this.#packets;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (s[parent]! <= seq) break;
      s[i] = s[parent]!;
      p[i] = p[parent]!;
      i = parent;
    }
    s[i] = seq;
    p[i] = payload;
  }

  #pop(): Uint8Array {
    const s = this.#seqs;
    const p = this.#packets;
    const out = p[0]!;
    const n = --this.#size;
    const lastSeq = s[n]!;
    const lastPkt = p[n]!;
    p[n] = null;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && s[r]! < s[l]! ? r : l;
      if (s[c]! >= lastSeq) break;
      s[i] = s[c]!;
      p[i] = p[c]!;
      i = c;
    }
    if (n > 0) {
      s[i] = lastSeq;
      p[i] = lastPkt;
    }
    return out;
  }
}
