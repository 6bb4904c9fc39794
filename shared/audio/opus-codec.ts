/**
 * Opus for the voice path: 48 kHz mono, one frame per packet, settings from the
 * channel's ChannelConfig. In-band FEC is always on (the jitter buffer recovers
 * a lost frame from the next packet) and the decoder conceals what FEC cannot.
 * libopus-wasm returns a fresh array per call; these wrappers copy into the
 * caller's buffer so the rest of the pipeline works on buffers it owns.
 */
import { Application, Signal, createDecoder, createEncoder, type OpusDecoderHandle, type OpusEncoderHandle } from 'libopus-wasm';
import { SAMPLE_RATE } from '../voice/constants.ts';
import type { ChannelConfig } from '../control/protocol.ts';

/** From this bitrate up a channel is treated as music (CELT-leaning 'audio' mode, music signal). */
export const MUSIC_BITRATE = 48_000;

export interface EncoderSettings {
  application: Application;
  signal: Signal;
  bitrate: number;
  frameSamples: number;
  fec: true;
  packetLossPercent: number;
  complexity: number;
}

/** What the encoder is set to for a channel. */
export function encoderSettingsFor(config: ChannelConfig, expectedLossPercent = 10): EncoderSettings {
  const music = config.bitrate >= MUSIC_BITRATE;
  return {
    application: music ? Application.Audio : Application.Voip,
    signal: music ? Signal.Music : Signal.Voice,
    bitrate: config.bitrate,
    frameSamples: config.frameSamples,
    fec: true,
    packetLossPercent: expectedLossPercent,
    complexity: 9,
  };
}

export class VoiceEncoder {
  readonly settings: EncoderSettings;
  readonly #enc: OpusEncoderHandle;

  private constructor(enc: OpusEncoderHandle, settings: EncoderSettings) {
    this.#enc = enc;
    this.settings = settings;
  }

  static async create(config: ChannelConfig, expectedLossPercent?: number): Promise<VoiceEncoder> {
    const s = encoderSettingsFor(config, expectedLossPercent);
    const enc = await createEncoder({
      channels: 1,
      sampleRate: SAMPLE_RATE,
      application: s.application,
      signal: s.signal,
      bitrate: s.bitrate,
      frameSize: s.frameSamples,
      fec: s.fec,
      packetLossPercent: s.packetLossPercent,
      complexity: s.complexity,
      vbr: true,
    });
    return new VoiceEncoder(enc, s);
  }

  /** Encodes exactly one frame (`frameSamples` f32 samples in [-1, 1]). */
  encode(frame: Float32Array): Uint8Array {
    if (frame.length !== this.settings.frameSamples) throw new TypeError(`a frame is ${this.settings.frameSamples} samples, got ${frame.length}`);
    return this.#enc.encodeFloat(frame);
  }

  /** Samples of algorithmic delay the encoder adds (312 at 48 kHz). */
  get lookahead(): number {
    return this.#enc.getLookahead();
  }

  free(): void {
    this.#enc.free();
  }
}

export class VoiceDecoder {
  readonly frameSamples: number;
  readonly #dec: OpusDecoderHandle;

  private constructor(dec: OpusDecoderHandle, frameSamples: number) {
    this.#dec = dec;
    this.frameSamples = frameSamples;
  }

  static async create(frameSamples = 960): Promise<VoiceDecoder> {
    return new VoiceDecoder(await createDecoder({ channels: 1, sampleRate: SAMPLE_RATE }), frameSamples);
  }

  /** Decodes `packet` into `out` (one frame). A corrupt packet is concealed instead; returns false then. */
  decode(packet: Uint8Array, out: Float32Array): boolean {
    return this.#decodeInto(packet, false, out);
  }

  /** Recovers the frame before `next` from `next`'s in-band FEC data into `out`. */
  decodeFec(next: Uint8Array, out: Float32Array): boolean {
    return this.#decodeInto(next, true, out);
  }

  #decodeInto(packet: Uint8Array, fec: boolean, out: Float32Array): boolean {
    try {
      out.set(this.#dec.decodeFloat(packet, { decodeFec: fec, frameSize: this.frameSamples }).subarray(0, this.frameSamples));
      return true;
    } catch {
      this.conceal(out);
      return false;
    }
  }

  /** Packet-loss concealment for one frame into `out`. */
  conceal(out: Float32Array): void {
    out.set(this.#dec.decodePacketLossFloat(this.frameSamples).subarray(0, this.frameSamples));
  }

  free(): void {
    this.#dec.free();
  }
}
