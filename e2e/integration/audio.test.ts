/**
 * The voice path end to end in Node: WAV → Opus encode at the channel bitrate
 * → real client → real relay (werift) → real client → jitter buffer → decode
 * (normal / FEC / PLC) → compared with the source after alignment.
 *
 * Network conditions are injected on the receiving side, between the
 * DataChannel and the jitter buffer: a deterministic 5 % loss and 0–20 ms of
 * uniform extra delay. Arrival times are recorded with the real clock and the
 * playout ticks then run on that timeline, so the check is exact and does not
 * depend on timer precision on a loaded machine.
 *
 * VOICE_TEST_WAV=path.wav runs it on another recording (any rate, mono or stereo).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { startTestServer, joinChannel, sleep, waitFor, type TestServer } from './harness.ts';
import { VoiceEncoder } from '../../shared/audio/opus-codec.ts';
import { VoiceReceiver } from '../../shared/audio/voice-receiver.ts';
import { speechLike } from '../../shared/audio/synth.ts';
import { parseWav, resampleTo } from '../../shared/audio/wav.ts';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../../shared/voice/constants.ts';
import type { ChannelConfig } from '../../shared/control/protocol.ts';
import type { DecisionKind } from '../../shared/audio/jitter-buffer.ts';
import { prng } from '../../shared/util/prng.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function sourceAudio(): Promise<Float32Array> {
  const file = process.env['VOICE_TEST_WAV'];
  if (!file) return speechLike({ seconds: 6, seed: 11, pauseShare: 0.1 });
  const wav = parseWav(new Uint8Array(await readFile(file)));
  return resampleTo(wav.samples, wav.sampleRate, SAMPLE_RATE).subarray(0, SAMPLE_RATE * 8);
}

interface Arrival {
  atMs: number;
  bytes: Uint8Array;
  seq: number;
}

/** Sends every frame over the real relay on a 20 ms schedule and records arrivals at the receiver. */
async function sendThroughRelay(packets: Uint8Array[], channelId: number): Promise<Arrival[]> {
  const a = await t.client(`talker-${channelId}`);
  const b = await t.client(`listener-${channelId}`);
  await joinChannel(a, channelId);
  await joinChannel(b, channelId);
  const arrivals: Arrival[] = [];
  b.on('datagram', (d) => arrivals.push({ atMs: performance.now(), bytes: d.slice(), seq: Buffer.from(d).readUInt32BE(8) }));
  const firstSeq = a.nextVoiceSequence;
  const start = performance.now();
  for (let i = 0; i < packets.length; i++) {
    const wait = start + i * 20 - performance.now();
    if (wait > 0) await sleep(wait);
    assert.ok(a.sendVoice(packets[i]!, { timestamp: (i * FRAME_SAMPLES) >>> 0 }));
  }
  await waitFor(() => arrivals.length === packets.length, 5000, 'every frame arrives on a clean loopback');
  a.close();
  b.close();
  return arrivals.map((x) => ({ ...x, seq: x.seq - firstSeq }));
}

interface Playout {
  audio: Float32Array;
  decisions: { kind: DecisionKind; seq: number }[];
  receiver: VoiceReceiver;
}

/** Runs the receiver on the recorded timeline: packets go in at their arrival time, one frame comes out per 20 ms tick. */
async function playout(arrivals: Arrival[], frames: number): Promise<Playout> {
  const receiver = new VoiceReceiver({ jitter: { mode: 'fixed' } });
  const sorted = [...arrivals].sort((x, y) => x.atMs - y.atMs);
  const t0 = sorted[0]!.atMs;
  const out = new Float32Array((frames + 12) * FRAME_SAMPLES);
  const frame = new Float32Array(FRAME_SAMPLES);
  const decisions: Playout['decisions'] = [];
  let next = 0;
  for (let k = 0; k < frames + 12; k++) {
    const now = t0 + k * 20;
    while (next < sorted.length && sorted[next]!.atMs <= now) receiver.push(sorted[next++]!.bytes, sorted[next - 1]!.atMs);
    // The decoder appears asynchronously for a new speaker (WASM load); wait for it once.
    for (const s of receiver.speakers.values()) if (!s.decoder) await waitFor(() => s.decoder !== null, 5000, 'decoder');
    receiver.tick(frame);
    out.set(frame, k * FRAME_SAMPLES);
    const s = [...receiver.speakers.values()][0];
    decisions.push({ kind: s?.last ?? 'silence', seq: s?.lastSequence ?? -1 });
  }
  return { audio: out, decisions, receiver };
}

function correlationAt(src: Float32Array, out: Float32Array, lag: number, stride: number): number {
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < src.length; i += stride) {
    const x = src[i]!;
    const y = out[i + lag] ?? 0;
    sxy += x * y;
    sxx += x * x;
    syy += y * y;
  }
  return sxy / Math.sqrt(sxx * syy || 1);
}

/** Best normalised cross-correlation of `out` against `src` over lags 0..maxLag (coarse search, then refined). */
function align(src: Float32Array, out: Float32Array, maxLag: number): { lag: number; corr: number } {
  let best = { lag: 0, corr: -1 };
  for (let lag = 0; lag <= maxLag; lag += 4) {
    const c = correlationAt(src, out, lag, 8);
    if (c > best.corr) best = { lag, corr: c };
  }
  const around = best.lag;
  best = { lag: around, corr: -1 };
  for (let lag = Math.max(0, around - 8); lag <= around + 8; lag++) {
    const c = correlationAt(src, out, lag, 1);
    if (c > best.corr) best = { lag, corr: c };
  }
  return best;
}

/**
 * Mean correlation over 200 ms windows, each aligned on its own (±4 frames around
 * the global lag): concealment that stretches the timeline shifts later audio by
 * whole frames, which one global lag cannot follow.
 */
function windowedCorrelation(src: Float32Array, out: Float32Array, globalLag: number): number {
  const win = 9600;
  let sum = 0;
  let n = 0;
  for (let at = 0; at + win <= src.length; at += win) {
    const seg = src.subarray(at, at + win);
    let energy = 0;
    for (let i = 0; i < win; i++) energy += seg[i]! * seg[i]!;
    if (energy / win < 1e-4) continue; // pauses carry no shape to compare
    let best = -1;
    for (let lag = Math.max(0, globalLag - 4 * FRAME_SAMPLES); lag <= globalLag + 4 * FRAME_SAMPLES; lag += 2) {
      const c = correlationAt(seg, out.subarray(at), lag, 2);
      if (c > best) best = c;
    }
    sum += best;
    n++;
  }
  return n > 0 ? sum / n : 0;
}


async function encodeAll(src: Float32Array, config: ChannelConfig): Promise<Uint8Array[]> {
  const enc = await VoiceEncoder.create(config);
  const frames = Math.floor(src.length / FRAME_SAMPLES);
  const packets: Uint8Array[] = [];
  for (let i = 0; i < frames; i++) packets.push(enc.encode(src.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES)));
  enc.free();
  return packets;
}

test('clean link: the decoded audio matches the source', async () => {
  const src = await sourceAudio();
  const packets = await encodeAll(src, { bitrate: 24000, frameSamples: 960 });
  const arrivals = await sendThroughRelay(packets, 2); // Gaming: 24 kbps
  const { audio, receiver } = await playout(arrivals, packets.length);
  const stats = [...receiver.speakers.values()][0]!.jitter.readStats().lifetime;
  assert.equal(stats.played, packets.length, `every frame played from its own packet: ${JSON.stringify(stats)}`);
  assert.equal(stats.lost, 0);
  const source = src.subarray(0, packets.length * FRAME_SAMPLES);
  const { lag, corr: global } = align(source, audio, 12 * FRAME_SAMPLES);
  // Windowed: a loaded machine may delay a packet past the 40 ms buffer, and the expand that
  // covers it shifts the rest of the output by a frame, which a single global lag cannot follow.
  const corr = windowedCorrelation(source, audio, lag);
  console.log(`clean: correlation ${corr.toFixed(3)} (global ${global.toFixed(3)} at lag ${lag} samples, ${(lag / 48).toFixed(1)} ms); expands ${stats.expand}`);
  assert.ok(corr > 0.9, `near-identical after alignment (correlation ${corr.toFixed(3)})`);
  receiver.close();
});

test('5 % loss and 20 ms jitter: no silent gaps, every lost frame recovered by FEC or concealed, counted exactly', async () => {
  const src = await sourceAudio();
  const packets = await encodeAll(src, { bitrate: 16000, frameSamples: 960 });
  const clean = await sendThroughRelay(packets, 4); // AFK: 16 kbps
  const rand = prng(Number(process.env['VOICE_TEST_SEED'] ?? 2024));
  const lossRate = Number(process.env['VOICE_TEST_LOSS'] ?? 0.05);
  // Exactly lossRate of the frames, at random places (never the first or last, so it stays one talk spurt).
  const dropped = new Set<number>();
  while (dropped.size < Math.round(packets.length * lossRate)) dropped.add(1 + Math.floor(rand() * (packets.length - 2)));
  const arrivals: Arrival[] = [];
  for (const a of clean) {
    const delay = rand() * 20;
    if (!dropped.has(a.seq)) arrivals.push({ ...a, atMs: a.atMs + delay });
  }
  const { audio, decisions, receiver } = await playout(arrivals, packets.length);
  const speaker = [...receiver.speakers.values()][0]!;
  const stats = speaker.jitter.readStats().lifetime;

  const first = decisions.findIndex((d) => d.kind !== 'silence');
  const lastIdx = decisions.findLastIndex((d) => d.seq === packets.length - 1 && d.kind !== 'expand');
  const spurt = decisions.slice(first, lastIdx + 1);
  assert.ok(spurt.every((d) => d.kind !== 'silence'), 'no silent gap inside the talk spurt');
  // 'expand' conceals an underrun while still waiting for the frame; every frame is then decided exactly once.
  const decided = spurt.filter((d) => d.kind !== 'expand');
  assert.ok(decided.every((d, i) => i === 0 || d.seq > decided[i - 1]!.seq), 'frames decided in order, none twice');
  // A frame is skipped only when the buffer sheds delay it built up (counted as discarded).
  assert.equal(decided.length + stats.discarded, packets.length, 'every frame decided or discarded');
  const t0 = Math.min(...arrivals.map((a) => a.atMs));
  const arrivedAt = new Map(arrivals.map((a) => [a.seq, a.atMs]));
  for (const [i, d] of spurt.entries()) {
    if (d.kind === 'expand') continue;
    if (!dropped.has(d.seq)) {
      assert.equal(d.kind, 'normal', `frame ${d.seq} plays from its own packet`);
      continue;
    }
    // The frame is lost: FEC if the next packet was already there at this tick, otherwise PLC.
    const tick = t0 + (first + i) * 20;
    const nextThere = (arrivedAt.get(d.seq + 1) ?? Infinity) <= tick;
    assert.equal(d.kind, nextThere ? 'fec' : 'plc', `frame ${d.seq}`);
  }
  const fec = spurt.filter((d) => d.kind === 'fec').length;
  const plc = spurt.filter((d) => d.kind === 'plc').length;
  const expands = spurt.filter((d) => d.kind === 'expand').length;
  assert.ok(stats.lost <= dropped.size && stats.lost >= dropped.size - stats.discarded, `lost ${stats.lost} = frames dropped on the way (${dropped.size}), less any the buffer discarded`);
  if (stats.discarded === 0) assert.equal(stats.lost, dropped.size, 'nothing discarded: lost is exactly the dropped frames');
  assert.equal(stats.fec, fec);
  assert.equal(stats.plc, plc);
  assert.equal(stats.expand, expands + 3, 'underruns inside the spurt, plus the three frames after its last packet');
  assert.equal(stats.late, 0, 'no packet was given up on: 0–20 ms of jitter fits the 40 ms buffer or an expand');
  assert.equal(stats.played + stats.fec + stats.plc + stats.discarded, packets.length);
  assert.ok(fec > plc, `most isolated losses come back through FEC (fec ${fec}, plc ${plc})`);
  const source = src.subarray(0, packets.length * FRAME_SAMPLES);
  const { lag } = align(source, audio, 12 * FRAME_SAMPLES);
  const corr = windowedCorrelation(source, audio, lag);
  console.log(`lossy: ${dropped.size} lost of ${packets.length}: fec ${fec}, plc ${plc}, underrun expands ${expands}; correlation ${corr.toFixed(3)}`);
  assert.ok(corr > 0.7, `still close to the source (mean windowed correlation ${corr.toFixed(3)})`);
  receiver.close();
});
