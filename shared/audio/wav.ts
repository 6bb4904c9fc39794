/**
 * Minimal RIFF/WAVE reading and writing for fixtures, bots and tests: PCM 16-bit
 * or float 32-bit, any channel count (mixed down to mono on read).
 */
export interface Wav {
  sampleRate: number;
  /** Mono samples in [-1, 1]. */
  samples: Float32Array;
}

export function parseWav(bytes: Uint8Array): Wav {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new TypeError('not a RIFF/WAVE file');
  let at = 12;
  let format = 0;
  let channels = 0;
  let sampleRate = 0;
  let bits = 0;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      format = v.getUint16(body, true);
      channels = v.getUint16(body + 2, true);
      sampleRate = v.getUint32(body + 4, true);
      bits = v.getUint16(body + 14, true);
      if (format === 0xfffe && size >= 26) format = v.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE
    } else if (id === 'data') {
      if (channels < 1) throw new TypeError('data chunk before fmt chunk');
      const end = Math.min(bytes.length, body + size);
      const bytesPer = bits / 8;
      const frames = Math.floor((end - body) / (bytesPer * channels));
      const samples = new Float32Array(frames);
      for (let f = 0; f < frames; f++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) {
          const p = body + (f * channels + c) * bytesPer;
          if (format === 1 && bits === 16) sum += v.getInt16(p, true) / 32768;
          else if (format === 3 && bits === 32) sum += v.getFloat32(p, true);
          else throw new TypeError(`unsupported WAV encoding (format ${format}, ${bits} bits)`);
        }
        samples[f] = sum / channels;
      }
      return { sampleRate, samples };
    }
    at = body + size + (size & 1);
  }
  throw new TypeError('no data chunk');
}

/** 16-bit PCM mono WAV. */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const v = new DataView(out.buffer);
  const put = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  v.setUint32(4, 36 + samples.length * 2, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  put(36, 'data');
  v.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const x = Math.max(-1, Math.min(1, samples[i]!));
    v.setInt16(44 + i * 2, Math.round(x * 32767), true);
  }
  return out;
}

/** Linear-interpolation resampling to 48 kHz, for fixtures recorded at other rates. */
export function resampleTo(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return samples;
  const n = Math.floor((samples.length * to) / from);
  const out = new Float32Array(n);
  const step = from / to;
  for (let i = 0; i < n; i++) {
    const x = i * step;
    const i0 = Math.floor(x);
    const frac = x - i0;
    out[i] = (samples[i0] ?? 0) * (1 - frac) + (samples[i0 + 1] ?? samples[i0] ?? 0) * frac;
  }
  return out;
}
