/**
 * The DSP worker's real-time core, kept free of messages and timers so Node
 * tests drive it frame by frame: capture ring → frames of the channel's size
 * (480–2880 samples; the capture worklet learns it from the ring header) →
 * capture plugins (in place) → level + transmit gate → Opus → `send`;
 * datagrams in → per-speaker jitter buffer and decoder
 * (shared/audio/voice-receiver.ts) → per-user volume → mix → playback ring.
 *
 * Time is an argument. Buffers are made when the channel's frame size changes,
 * never per frame; what still allocates per frame is libopus-wasm's result
 * arrays (copied into our buffers at once) and the encoded packet that must be
 * handed to the network.
 */
import type { ChannelConfig } from '../../../shared/control/protocol.ts';
import { SAMPLE_RATE } from '../../../shared/voice/constants.ts';
import { VoiceEncoder } from '../../../shared/audio/opus-codec.ts';
import { VoiceReceiver } from '../../../shared/audio/voice-receiver.ts';
import type { JitterBufferOptions } from '../../../shared/audio/jitter-buffer.ts';
import { createVoiceHeader, readVoiceHeader } from '../../../shared/voice/voice-header.ts';
import type { LatencyProbe } from './latency-probe.ts';
import { RingSlot, type SpscRing } from './spsc-ring.ts';
import { TransmitGate, frameLevelDb, SILENCE_DB } from './transmit-gate.ts';

/**
 * The seam for audio plugins (noise gates, suppressors, compressors): each runs
 * on every captured frame, in place, after framing and before the level meter,
 * the gate and the encoder. It must not allocate or block.
 */
export interface CapturePlugin {
  process(frame: Float32Array, sampleRate: number): void;
}

export interface DspCoreOptions {
  capture: SpscRing;
  playback: SpscRing;
  /** Called synchronously with each encoded frame and its capture-clock timestamp (samples). */
  send(opus: Uint8Array, timestamp: number): void;
  /** Called when a channel's encoder (its frames are not sent) or a speaker's decoder could not be created. */
  onError?(message: string): void;
}

const MAX_FRAME = 2880;
/** A speaker counts as talking for this long after their last datagram arrived (VoiceReceiver.heardWithin). */
const SPEAKING_HOLD_MS = 200;

export class DspCore {
  readonly gate = new TransmitGate();
  readonly plugins: CapturePlugin[] = [];
  /** Level of the last captured frame (after plugins), dBFS. */
  inputDb = SILENCE_DB;
  /** Level of the last mixed frame, dBFS. */
  outputDb = SILENCE_DB;
  /** The last frame went out. */
  transmitting = false;
  deaf = false;
  framesSent = 0;
  /** Benchmark instrumentation (bench:latency); null otherwise. */
  probe: LatencyProbe | null = null;

  readonly #opt: DspCoreOptions;
  readonly #inBuf = new Float32Array(MAX_FRAME);
  readonly #outBuf = new Float32Array(MAX_FRAME);
  #inFrame: Float32Array;
  #outFrame: Float32Array;
  #frameSamples = 960;
  #encoder: VoiceEncoder | null = null;
  #encoderGeneration = 0;
  readonly #receiver: VoiceReceiver;
  #jitter: Partial<JitterBufferOptions> = { mode: 'adaptive' };
  #closed = false;
  readonly #header = createVoiceHeader();

  constructor(options: DspCoreOptions) {
    this.#opt = options;
    this.#inFrame = this.#inBuf.subarray(0, 960);
    this.#outFrame = this.#outBuf.subarray(0, 960);
    this.#receiver = new VoiceReceiver({ ...this.#receiverOptions(), onError: (message) => this.#opt.onError?.(message) });
    Atomics.store(options.capture.header, RingSlot.notifyAt, this.#frameSamples);
  }

  /** The channel we are in: its bitrate and frame size. Resolves when the encoder is ready. */
  async setChannel(config: ChannelConfig): Promise<void> {
    const generation = ++this.#encoderGeneration;
    this.#encoder?.free();
    this.#encoder = null;
    if (config.frameSamples !== this.#frameSamples) {
      this.#frameSamples = config.frameSamples;
      this.#inFrame = this.#inBuf.subarray(0, config.frameSamples);
      this.#outFrame = this.#outBuf.subarray(0, config.frameSamples);
      this.#receiver.reconfigure(this.#receiverOptions());
      // The capture worklet rings once a frame of this size waits.
      Atomics.store(this.#opt.capture.header, RingSlot.notifyAt, config.frameSamples);
    }
    this.gate.setFrameMs((config.frameSamples * 1000) / SAMPLE_RATE);
    this.gate.reset();
    try {
      const enc = await VoiceEncoder.create(config);
      if (this.#closed || generation !== this.#encoderGeneration) enc.free();
      else this.#encoder = enc;
    } catch (error) {
      if (generation === this.#encoderGeneration) this.#opt.onError?.(`the Opus encoder could not start: ${(error as Error).message}`);
    }
  }

  setPlayout(mode: 'fixed' | 'adaptive'): void {
    if (this.#jitter.mode === mode) return;
    this.#jitter = { mode };
    this.#receiver.reconfigure(this.#receiverOptions());
  }

  setUserVolume(token: number, volume: number): void {
    this.#receiver.setVolume(token, volume);
  }

  setUserMuted(token: number, muted: boolean): void {
    this.#receiver.setMuted(token, muted);
  }

  /** One datagram from the relay (header + Opus); `arrivedAt` is when the page got it (probe clock). */
  receive(bytes: Uint8Array, nowMs: number, arrivedAt = nowMs): void {
    const p = this.probe;
    if (p !== null && readVoiceHeader(bytes, this.#header) === null) p.onReceived(this.#header.sequence, this.#header.timestamp, arrivedAt);
    this.#receiver.push(bytes, nowMs);
  }

  /** Encodes and sends every whole frame waiting in the capture ring. Returns frames handled. */
  pumpCapture(): number {
    const ring = this.#opt.capture;
    const n = this.#frameSamples;
    const frame = this.#inFrame;
    let frames = 0;
    while (ring.available() >= n) {
      const timestamp = ring.readCounter;
      ring.pop(frame, n);
      for (const p of this.plugins) p.process(frame, SAMPLE_RATE);
      const db = frameLevelDb(frame, n);
      this.inputDb = db;
      const go = this.gate.decide(db);
      const enc = this.#encoder;
      this.transmitting = go && enc !== null;
      const p = this.probe;
      if (p !== null) p.onCaptured(frame, n, timestamp, ring.writeCounter, p.now());
      if (go && enc !== null) {
        this.#opt.send(enc.encode(frame), timestamp);
        this.framesSent++;
      }
      if (p !== null) p.onEncoded(go && enc !== null);
      frames++;
    }
    return frames;
  }

  /**
   * Mixes frames into the playback ring while it holds less than `lowWater`
   * samples (the output worklet rings the bell when it gets there). One frame
   * per call in steady state. Returns frames produced.
   */
  pumpPlayback(nowMs: number, lowWater: number): number {
    const ring = this.#opt.playback;
    const n = this.#frameSamples;
    const out = this.#outFrame;
    let frames = 0;
    while (ring.available() < lowWater && ring.free() >= n) {
      const p = this.probe;
      const decodeAt = p === null ? 0 : p.now();
      this.#receiver.tick(out);
      if (this.deaf) out.fill(0);
      if (p !== null) {
        let sequence = -1; // the benchmark has one speaker: the frame it played
        for (const s of this.#receiver.speakers.values()) if (s.last !== 'silence') sequence = s.lastSequence;
        // The first sample of this frame plays `write - read` samples after the quantum the worklet last started.
        const h = ring.header;
        const frame0 = Atomics.load(h, RingSlot.clockFrame) + ((ring.writeCounter - Atomics.load(h, RingSlot.clockCounter)) >>> 0);
        p.onMixed(out, n, sequence, decodeAt, frame0 >>> 0);
      }
      this.outputDb = frameLevelDb(out, n);
      ring.push(out, n);
      frames++;
    }
    return frames;
  }

  /** Tokens heard within the last 200 ms and not locally muted; none while deaf (allocates; call at UI rate). */
  speaking(nowMs: number): number[] {
    return this.deaf ? [] : this.#receiver.heardWithin(nowMs, SPEAKING_HOLD_MS);
  }

  /** Housekeeping at ~1 Hz: forget speakers silent for 10 s. */
  evictIdle(nowMs: number): void {
    this.#receiver.evictIdle(nowMs);
  }

  close(): void {
    this.#closed = true;
    this.#encoder?.free();
    this.#encoder = null;
    this.#receiver.close();
  }

  #receiverOptions(): { frameSamples: number; jitter: Partial<JitterBufferOptions> } {
    // The jitter buffer derives the frame duration from the frame size.
    const n = this.#frameSamples;
    return { frameSamples: n, jitter: { ...this.#jitter, frameSamples: n } };
  }
}
