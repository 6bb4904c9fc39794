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
 * A talk spurt ends after a few concealed frames with nothing buffered; the
 * buffer then resets and waits for the watermark again. When more than the
 * target plus a margin is buffered it drops the oldest frames to catch up, so
 * delay never grows with continuous transmission on an unstable link.
 *
 * Nothing here allocates per packet or per tick: the heap, the jitter histogram
 * and the decision object are made once.
 */

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
  /** Concealed frames in a row, with nothing buffered, that end a talk spurt. */
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
  | 'plc'; // the frame is lost and no FEC is at hand: conceal

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
  /** Frames concealed with PLC. */
  plc: number;
  /**
   * Frames whose packet never came in time: every FEC frame, every frame dropped
   * by catch-up without its packet, and every PLC frame once a later packet of
   * the same spurt proves it was lost. The concealed frames after the last packet
   * of a talk spurt are not losses (the sender stopped) and are not counted.
   */
  lost: number;
  /** Packets that arrived after their frame was played or concealed. */
  late: number;
  duplicate: number;
  /** Frames dropped to bring the backlog down to the target. */
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

function zero(): JitterCounters {
  return { received: 0, played: 0, fec: 0, plc: 0, lost: 0, late: 0, duplicate: 0, discarded: 0, overflow: 0, silence: 0 };
}

const HISTOGRAM_BUCKETS = 32;

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
  #concealRun = 0;
  /** PLC frames of the current run, counted as lost once a later packet arrives to play. */
  #unconfirmedLoss = 0;

  // Adaptive target: histogram of relative arrival delay, in frames.
  readonly #hist = new Float64Array(HISTOGRAM_BUCKETS);
  #baseArrival = 0;
  #baseTs = 0;
  #haveBase = false;
  #targetFrames: number;
  #jitterFrames = 0;

  readonly #decision: Decision = { kind: 'silence', packet: null, sequence: -1 };
  #life = zero();
  #interval = zero();

  constructor(options: Partial<JitterBufferOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_JITTER_OPTIONS, ...options });
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
   * Returns what happened to it.
   */
  insert(sequence: number, timestamp: number, payload: Uint8Array, nowMs: number): 'accepted' | 'late' | 'duplicate' | 'overflow' {
    if (sequence < this.#floor) return this.#count('late');
    if (this.#contains(sequence)) return this.#count('duplicate');
    if (this.#size === this.options.capacity) return this.#count('overflow');
    this.#observeArrival(timestamp, nowMs);
    this.#push(sequence, payload);
    if (sequence > this.#newest) this.#newest = sequence;
    this.#life.received++;
    this.#interval.received++;
    return 'accepted';
  }

  /** One playout tick: the decision for the next frame. The returned object is reused. */
  pull(): Readonly<Decision> {
    const d = this.#decision;
    if (!this.#playing) {
      if (this.#size === 0 || this.depthFrames < this.#targetFrames) return this.#silence();
      // Watermark reached: start the spurt at the oldest buffered packet.
      this.#playing = true;
      this.#next = this.#seqs[0]!;
      this.#floor = this.#next;
      this.#concealRun = 0;
    }
    this.#catchUp();
    const top = this.#size > 0 ? this.#seqs[0]! : -1;
    if (top === this.#next) {
      d.kind = 'normal';
      d.packet = this.#pop();
      d.sequence = this.#next;
      this.#concealRun = 0;
      this.#confirmLoss();
      this.#life.played++;
      this.#interval.played++;
    } else if (this.#size === 0 && this.#concealRun >= this.options.maxConcealFrames) {
      // Nothing left and nothing arriving: the talk spurt is over. Reset and wait for the watermark.
      this.#playing = false;
      this.#floor = this.#next;
      this.#haveBase = false;
      this.#unconfirmedLoss = 0; // the trailing concealment of a finished spurt
      return this.#silence();
    } else if (top === this.#next + 1) {
      d.kind = 'fec';
      d.packet = this.#packets[0]!; // stays in the heap: it plays normally on the next tick
      d.sequence = this.#next;
      this.#concealRun++;
      this.#confirmLoss();
      this.#life.fec++;
      this.#interval.fec++;
      this.#life.lost++;
      this.#interval.lost++;
    } else {
      d.kind = 'plc';
      d.packet = null;
      d.sequence = this.#next;
      this.#concealRun++;
      this.#life.plc++;
      this.#interval.plc++;
      if (this.#size > 0) {
        // A later packet is already here: this frame is certainly lost.
        this.#confirmLoss();
        this.#life.lost++;
        this.#interval.lost++;
      } else {
        this.#unconfirmedLoss++;
      }
    }
    this.#next++;
    this.#floor = this.#next;
    return d;
  }

  /** Depth, target and counters; the interval counters restart. Allocates (call it per second, not per frame). */
  readStats(): JitterStats {
    const interval = this.#interval;
    this.#interval = zero();
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
      this.#baseArrival = nowMs;
      this.#baseTs = timestamp;
      return;
    }
    // Arrival relative to the fastest packet seen this spurt: 0 for the earliest-arriving ones.
    const mediaMs = ((timestamp - this.#baseTs) | 0) / samplesPerMs;
    let delay = nowMs - this.#baseArrival - mediaMs;
    if (delay < 0) {
      this.#baseArrival += delay;
      delay = 0;
    }
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

  #catchUp(): void {
    const limit = this.#targetFrames + this.options.catchUpMarginFrames;
    if (this.#size > 0) this.#confirmLoss();
    while (this.#size > 0 && this.depthFrames > limit) {
      // Drop the oldest frame (played as if it never came), keeping the newest audio.
      if (this.#seqs[0] === this.#next) this.#pop();
      else {
        this.#life.lost++;
        this.#interval.lost++;
      }
      this.#next++;
      this.#floor = this.#next;
      this.#life.discarded++;
      this.#interval.discarded++;
    }
  }

  #confirmLoss(): void {
    if (this.#unconfirmedLoss === 0) return;
    this.#life.lost += this.#unconfirmedLoss;
    this.#interval.lost += this.#unconfirmedLoss;
    this.#unconfirmedLoss = 0;
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
