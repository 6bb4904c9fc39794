/**
 * The receive side of the voice path, as the Node bots, the end-to-end tests
 * and (in a worker) the browser use it: datagrams in, one mixed frame out per
 * playout tick. Per speaker: jitter buffer → Opus decode (normal, FEC or PLC)
 * → volume. Then the mix. Time is passed in; nothing here owns a timer.
 */
import { createVoiceHeader, readVoiceHeader } from '../voice/voice-header.ts';
import { JitterBuffer, type DecisionKind, type JitterBufferOptions } from './jitter-buffer.ts';
import { VoiceDecoder } from './opus-codec.ts';
import { accumulate, clampVolume, finishMix } from './mixer.ts';

export class RemoteSpeaker {
  readonly token: number;
  readonly jitter: JitterBuffer;
  readonly frame: Float32Array;
  decoder: VoiceDecoder | null = null;
  /** Per-user volume, 0–2. */
  volume = 1;
  /** Local mute: decoded (to keep the decoder state right) but not mixed. */
  muted = false;
  /** Decision of the last tick, and the sequence it played (-1 for silence). */
  last: DecisionKind = 'silence';
  lastSequence = -1;

  constructor(token: number, frameSamples: number, options: Partial<JitterBufferOptions>) {
    this.token = token;
    this.jitter = new JitterBuffer({ frameSamples, ...options });
    this.frame = new Float32Array(frameSamples);
  }

  /** Local time of the last datagram from this speaker. */
  lastHeardMs = 0;

  /** Produces this tick's frame into `this.frame`. Until the decoder exists, packets wait in the buffer. */
  render(): DecisionKind {
    const dec = this.decoder;
    const d = dec === null ? null : this.jitter.pull();
    if (d === null || d.kind === 'silence' || dec === null) {
      this.frame.fill(0);
      this.last = 'silence';
      this.lastSequence = -1;
      return 'silence';
    }
    this.lastSequence = d.sequence;
    if (d.kind === 'normal') dec.decode(d.packet!, this.frame);
    else if (d.kind === 'fec') dec.decodeFec(d.packet!, this.frame);
    else dec.conceal(this.frame);
    this.last = d.kind;
    return d.kind;
  }
}

/** After a decoder could not be created, the next attempt (by any new speaker) waits this long. */
export const DECODER_RETRY_MS = 500;

export interface VoiceReceiverOptions {
  frameSamples: number;
  jitter: Partial<JitterBufferOptions>;
  /**
   * A speaker's decoder could not be created. Told once until a creation
   * succeeds again; every failure is counted in `decoderFailures` either way.
   */
  onError?(message: string): void;
}

export class VoiceReceiver {
  options: VoiceReceiverOptions;
  readonly speakers = new Map<number, RemoteSpeaker>();
  readonly #header = createVoiceHeader();
  #acc: Float32Array;
  /** Per-user volume and local mute, kept by token so they outlive a speaker's eviction. */
  readonly #prefs = new Map<number, { volume: number; muted: boolean }>();
  /** Datagrams that did not parse (they never should, past the relay). */
  malformed = 0;
  /** Decoders that could not be created (the speaker is forgotten; a datagram DECODER_RETRY_MS later tries again). */
  decoderFailures = 0;
  /** The last decoder creation failed (and was reported). */
  #decoderFailing = false;
  /** After a failed creation no new speaker (so no new attempt) before this local time. */
  #decoderRetryAtMs = -Infinity;
  /** Datagrams of new speakers dropped while decoder creation backs off. */
  decoderBackoffDrops = 0;
  #closed = false;

  constructor(options: Partial<VoiceReceiverOptions> = {}) {
    this.options = { frameSamples: 960, jitter: {}, ...options };
    this.#acc = new Float32Array(this.options.frameSamples);
  }

  /** One datagram from the relay at local time `nowMs`. */
  push(bytes: Uint8Array, nowMs: number): void {
    const h = this.#header;
    if (readVoiceHeader(bytes, h) !== null || (h.kind !== 'voice' && h.kind !== 'whisper')) {
      this.malformed++;
      return;
    }
    let s = this.speakers.get(h.token);
    if (!s) {
      // While creating decoders fails (out of memory), do not try again for every datagram.
      if (nowMs < this.#decoderRetryAtMs) {
        this.decoderBackoffDrops++;
        return;
      }
      s = new RemoteSpeaker(h.token, this.options.frameSamples, this.options.jitter);
      const prefs = this.#prefs.get(h.token);
      if (prefs) {
        s.volume = prefs.volume;
        s.muted = prefs.muted;
      }
      this.speakers.set(h.token, s);
      const speaker = s;
      // Decoder creation is async only until libopus is loaded; packets wait in the jitter buffer meanwhile.
      VoiceDecoder.create(this.options.frameSamples).then(
        (d) => {
          this.#decoderFailing = false;
          if (this.#closed || this.speakers.get(speaker.token) !== speaker) d.free();
          else speaker.decoder = d;
        },
        (error: unknown) => {
          this.decoderFailures++;
          this.#decoderRetryAtMs = speaker.lastHeardMs + DECODER_RETRY_MS;
          // Without a decoder the speaker would stay silent while shown talking: forget it, so
          // its next datagram starts afresh and tries again (what it buffered meanwhile is lost).
          if (this.speakers.get(speaker.token) === speaker) this.speakers.delete(speaker.token);
          if (this.#closed || this.#decoderFailing) return;
          this.#decoderFailing = true;
          this.options.onError?.(`an Opus decoder could not be created: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
    }
    s.lastHeardMs = nowMs;
    s.jitter.insert(h.sequence, h.timestamp, bytes.subarray(h.payloadOffset), nowMs);
  }

  /** Per-user volume 0–2; applies now and to this token's later talk spurts. */
  setVolume(token: number, volume: number): void {
    const v = clampVolume(volume);
    this.#pref(token).volume = v;
    const s = this.speakers.get(token);
    if (s) s.volume = v;
  }

  /** Local mute (decoded, not mixed); applies now and later. */
  setMuted(token: number, muted: boolean): void {
    this.#pref(token).muted = muted;
    const s = this.speakers.get(token);
    if (s) s.muted = muted;
  }

  /** Tokens heard (a datagram arrived) within `withinMs` and not locally muted; allocates, call at UI rate. */
  heardWithin(nowMs: number, withinMs: number): number[] {
    const out: number[] = [];
    for (const s of this.speakers.values()) if (!s.muted && nowMs - s.lastHeardMs <= withinMs) out.push(s.token);
    return out;
  }

  #pref(token: number): { volume: number; muted: boolean } {
    let p = this.#prefs.get(token);
    if (!p) this.#prefs.set(token, (p = { volume: 1, muted: false }));
    return p;
  }

  /** Forgets speakers silent for `idleMs` (frees their decoders); call now and then, not per frame. */
  evictIdle(nowMs: number, idleMs = 10_000): number {
    let n = 0;
    for (const [token, s] of this.speakers) {
      if (!s.jitter.playing && nowMs - s.lastHeardMs > idleMs) {
        s.decoder?.free();
        this.speakers.delete(token);
        n++;
      }
    }
    return n;
  }

  /** One playout tick: every speaker renders a frame; the mix goes into `out`. */
  tick(out: Float32Array): void {
    const acc = this.#acc;
    acc.fill(0);
    for (const s of this.speakers.values()) {
      if (s.render() !== 'silence' && !s.muted) accumulate(acc, s.frame, s.volume);
    }
    finishMix(acc, out);
  }

  /**
   * New frame size or jitter settings: every speaker starts afresh (decoders
   * freed) under the new options; per-user volume and mute stay.
   */
  reconfigure(options: Partial<VoiceReceiverOptions>): void {
    for (const s of this.speakers.values()) s.decoder?.free();
    this.speakers.clear();
    this.options = { ...this.options, ...options };
    if (this.#acc.length !== this.options.frameSamples) this.#acc = new Float32Array(this.options.frameSamples);
  }

  close(): void {
    this.#closed = true;
    for (const s of this.speakers.values()) s.decoder?.free();
    this.speakers.clear();
  }
}
