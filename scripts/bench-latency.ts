/**
 * Mouth-to-ear latency in Chromium on loopback (`npm run bench:latency`).
 *
 * Page A's microphone is a WAV of short 1 kHz bursts (5 ms, every 251 ms so
 * they fall anywhere in a 20 ms frame); page B listens. Both run the real app
 * (the built client served by a real server, voice over werift), with the DSP
 * worker's latency probe on (client/audio/rt/latency-probe.ts): A marks each
 * burst where it enters the audio graph, when its frame is complete, encoded;
 * B marks when the datagram reached the page, when the jitter buffer released
 * it, when it was decoded and mixed, and when its first sample is heard
 * (AudioContext.getOutputTimestamp, which includes the output latency the
 * browser reports). Both pages share the machine's clock
 * (performance.timeOrigin + now). Runs once with the seed's fixed 40 ms
 * playout and once adaptive, and prints p50/p95 per stage, a table and JSON.
 *
 * Not measured: the microphone's own input latency before the audio graph
 * (a fake capture device has none worth the name; a real one adds ~5–20 ms).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { loadConfig } from '../server/config.ts';
import { startServer } from '../server/app.ts';
import { encodeWav } from '../shared/audio/wav.ts';
import { launchChromium, type Browser } from '../e2e/browser/chromium.ts';
import { connectPage, engineCall, fakeMicArgs, seedSettings } from '../e2e/browser/app-driver.ts';
import { machine, sleep, table } from './bench-util.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const SECONDS = args.has('--quick') ? 6 : 20;
const WARMUP_MS = 2500;

interface Stage {
  name: string;
  values: number[];
}

function impulseWav(seconds: number): Uint8Array {
  const sr = 48_000;
  const x = new Float32Array(seconds * sr);
  const period = Math.round(0.251 * sr);
  for (let start = sr / 2; start + 240 < x.length; start += period) {
    for (let i = 0; i < 240; i++) x[start + i] = 0.8 * Math.sin((2 * Math.PI * 1000 * i) / sr);
  }
  return encodeWav(x, sr);
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

interface Pair {
  capture: number;
  encode: number;
  network: number;
  buffer: number;
  decode: number;
  output: number;
  total: number;
}

async function runMode(mode: 'fixed' | 'adaptive', wavA: string, wavB: string, url: string): Promise<{ pairs: Pair[]; marks: { captures: number; plays: number }; outputLatencyMs: number; baseLatencyMs: number }> {
  const browsers: Browser[] = [];
  try {
    const a = await launchChromium(fakeMicArgs(wavA));
    browsers.push(a);
    const b = await launchChromium(fakeMicArgs(wavB));
    browsers.push(b);
    const pa = await a.context.newPage();
    const pb = await b.context.newPage();
    const common = { echoCancellation: false, noiseSuppression: false, autoGainControl: false, playout: mode };
    // A: voice activation with a low threshold and a hang-over longer than the burst period, so it
    // transmits continuously once the first burst opens the gate (steady state, as while talking).
    await seedSettings(pa, url, { ...common, mode: 'vad', vadThresholdDb: -60, vadHangoverMs: 600 });
    // B: push-to-talk, key never pressed: it only listens.
    await seedSettings(pb, url, { ...common, mode: 'ptt' });
    await connectPage(pb, url, 'bench-ear');
    await connectPage(pa, url, 'bench-mouth');
    await sleep(WARMUP_MS);
    await engineCall(pa, 'startLatencyProbe');
    await engineCall(pb, 'startLatencyProbe');
    await sleep(SECONDS * 1000);
    const ma = (await engineCall(pa, 'readLatencyProbe')) as { captures: { timestamp: number; offset: number; graphAt: number; framedAt: number; encodedAt: number }[] };
    const mb = (await engineCall(pb, 'readLatencyProbe')) as {
      plays: { timestamp: number; offset: number; receivedAt: number; decodeAt: number; decodedAt: number; audibleAt: number }[];
    };
    const lat = (await pb.evaluate(() => {
      const ctx = (document.querySelector('voice-app') as unknown as { engine: { audioContext: AudioContext } }).engine.audioContext;
      return { out: ctx.outputLatency, base: ctx.baseLatency };
    })) as { out: number; base: number };
    const pairs: Pair[] = [];
    for (const p of mb.plays) {
      // The burst B heard starts 0–960 samples (Opus look-ahead) after the one A captured.
      const c = ma.captures.find((c) => {
        const shift = p.timestamp + p.offset - (c.timestamp + c.offset);
        return shift >= 0 && shift < 960;
      });
      if (!c) continue;
      pairs.push({
        capture: c.framedAt - c.graphAt,
        encode: c.encodedAt - c.framedAt,
        network: p.receivedAt - c.encodedAt,
        buffer: p.decodeAt - p.receivedAt,
        decode: p.decodedAt - p.decodeAt,
        output: p.audibleAt - p.decodedAt,
        total: p.audibleAt - c.graphAt,
      });
    }
    return { pairs, marks: { captures: ma.captures.length, plays: mb.plays.length }, outputLatencyMs: lat.out * 1000, baseLatencyMs: lat.base * 1000 };
  } finally {
    for (const b of browsers) await b.close();
  }
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'voice-app-bench-latency-'));
const server = await startServer(loadConfig({ VOICE_HOST: '127.0.0.1', VOICE_PORT: '0', VOICE_DATA_DIR: dataDir, VOICE_LOG_LEVEL: 'warn' }));
const wavA = path.join(dataDir, 'impulses.wav');
const wavB = path.join(dataDir, 'silence.wav');
await writeFile(wavA, impulseWav(SECONDS + 30));
await writeFile(wavB, encodeWav(new Float32Array(48_000), 48_000));
const results: Record<string, unknown>[] = [];
const rows: Record<string, string | number>[] = [];
try {
  for (const mode of ['fixed', 'adaptive'] as const) {
    const r = await runMode(mode, wavA, wavB, server.url);
    const stages: (keyof Pair)[] = ['capture', 'encode', 'network', 'buffer', 'decode', 'output', 'total'];
    const summary: Record<string, { p50: number; p95: number }> = {};
    for (const s of stages) summary[s] = { p50: pct(r.pairs.map((p) => p[s]), 50), p95: pct(r.pairs.map((p) => p[s]), 95) };
    results.push({ mode, impulses: r.pairs.length, marks: r.marks, outputLatencyMs: r.outputLatencyMs, baseLatencyMs: r.baseLatencyMs, stages: summary });
    for (const q of ['p50', 'p95'] as const) {
      const row: Record<string, string | number> = { playout: mode, q, n: r.pairs.length };
      for (const s of stages) row[s] = summary[s]![q].toFixed(1);
      rows.push(row);
    }
  }
} finally {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
}
const result = { bench: 'latency', date: new Date().toISOString(), machine: machine(), seconds: SECONDS, results };
process.stdout.write(`\nMouth-to-ear latency, ms (stages sum to total; capture starts where the burst enters the audio graph)\n${machine()}\n\n${table(rows)}\n\n`);
const json = JSON.stringify(result, null, 2);
process.stdout.write(json + '\n');
await mkdir(path.join(root, 'bench-results'), { recursive: true });
await writeFile(path.join(root, 'bench-results', `latency-${result.date.replace(/[:.]/g, '-')}.json`), json);
