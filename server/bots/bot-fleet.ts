/**
 * Spawns N bots over C channels for D seconds and returns what they measured.
 * Bots live in child processes (optionally pinned to CPUs with taskset) so the
 * server's event loop measures only the relay. The WAV is encoded once at the
 * channel bitrate and every talking bot loops it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { HAVE_TASKSET, TASKSET } from '../util/taskset.ts';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { VoiceEncoder } from '../../shared/audio/opus-codec.ts';
import { speechLike } from '../../shared/audio/synth.ts';
import { parseWav, resampleTo } from '../../shared/audio/wav.ts';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../../shared/voice/constants.ts';
import type { ChannelConfig } from '../../shared/control/protocol.ts';
import { ReceiveStats, addJitterCounters, transitSummary, type ReceiveSummary, type SerializedSendLog, type TransitSummary } from './bot-stats.ts';
import { zeroJitterCounters } from '../../shared/audio/jitter-buffer.ts';
import type { BotSpec, FromBots, ToBots } from './bot-protocol.ts';
import type { JitterCounters } from '../../shared/audio/jitter-buffer.ts';

const BOT_PROCESS = fileURLToPath(new URL('./bot-process.ts', import.meta.url));

export interface FleetOptions {
  /** http(s) base URL of the server. */
  url: string;
  /** Channel ids to fill, in order; bots are spread evenly. */
  channels: number[];
  botsPerChannel: number;
  talkersPerChannel: number;
  durationMs: number;
  /** Channel settings the audio is encoded with. */
  config: ChannelConfig;
  /** A WAV to loop; a generated speech-like signal when absent. */
  wavPath?: string;
  /** Number of bot processes (default: one per 50 bots). */
  processes?: number;
  /** CPU list for `taskset -c` (e.g. "1"), to keep bots off the relay's core. */
  cpus?: string;
  /** Each bot also plays what it hears (jitter buffer → decode → mix) and reports the playout counters. */
  decode?: boolean;
  /** Leave the first ms of talking out of the delay percentiles (loss still counts them). */
  warmupMs?: number;
  /** Called once every bot is connected, with the wall-clock ms at which they will start talking. */
  onStart?: (startAtMs: number) => void;
}

export interface FleetResult {
  bots: number;
  talkers: number;
  framesSent: number;
  receive: ReceiveSummary;
  /** Send → arrival of sampled frames, and the bots' own lateness in sending (bot-stats.ts). */
  transit: TransitSummary;
  /** CPU the bot processes used while talking, as % of one core. */
  botCpuPercent: number;
  wallMs: number;
  /** Playout counters summed over every (bot, speaker) pair, when `decode` was on. */
  decode: JitterCounters | null;
}

export async function encodeLoop(config: ChannelConfig, wavPath?: string): Promise<Uint8Array[]> {
  let samples: Float32Array;
  if (wavPath) {
    const wav = parseWav(new Uint8Array(await readFile(wavPath)));
    samples = resampleTo(wav.samples, wav.sampleRate, SAMPLE_RATE);
  } else {
    samples = speechLike({ seconds: 6, seed: 3, pauseShare: 0 });
  }
  const enc = await VoiceEncoder.create(config);
  const out: Uint8Array[] = [];
  for (let i = 0; i + FRAME_SAMPLES <= samples.length; i += FRAME_SAMPLES) out.push(enc.encode(samples.subarray(i, i + FRAME_SAMPLES)));
  enc.free();
  return out;
}

function spawnBotProcess(cpus?: string): ChildProcess {
  if (cpus && HAVE_TASKSET) {
    return fork(BOT_PROCESS, [], { execPath: TASKSET, execArgv: ['-c', cpus, process.execPath], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }
  return fork(BOT_PROCESS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function next(child: ChildProcess, kind: FromBots['kind']): Promise<FromBots> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromBots): void => {
      if (m.kind === 'failed') {
        cleanup();
        reject(new Error(`bot process: ${m.message}`));
      } else if (m.kind === kind) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`bot process exited (${code}) before "${kind}"`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function runBots(options: FleetOptions): Promise<FleetResult> {
  if (options.config.frameSamples !== FRAME_SAMPLES) throw new TypeError('bots talk in 20 ms frames (frameSamples 960)');
  const packets = (await encodeLoop(options.config, options.wavPath)).map((p) => Array.from(p));
  const specs: BotSpec[] = [];
  for (const channelId of options.channels) {
    for (let i = 0; i < options.botsPerChannel; i++) {
      specs.push({ nickname: `bot-${channelId}-${i}`, channelId, talk: i < options.talkersPerChannel });
    }
  }
  const nproc = Math.max(1, options.processes ?? Math.ceil(specs.length / 50));
  const groups: BotSpec[][] = Array.from({ length: nproc }, () => []);
  specs.forEach((s, i) => groups[i % nproc]!.push(s));
  const children = groups.map(() => spawnBotProcess(options.cpus));
  try {
    await Promise.all(
      children.map((c, i) => {
        const ready = next(c, 'ready');
        c.send({ kind: 'start', url: options.url, bots: groups[i]!, packets, decode: options.decode ?? false } satisfies ToBots);
        return ready;
      }),
    );
    const startAtMs = Date.now() + 500;
    options.onStart?.(startAtMs);
    const done = await Promise.all(
      children.map((c) => {
        const d = next(c, 'done');
        c.send({ kind: 'go', startAtMs, durationMs: options.durationMs, warmupMs: options.warmupMs ?? 0 } satisfies ToBots);
        return d;
      }),
    );
    const total = new ReceiveStats();
    const sends: SerializedSendLog[] = [];
    let sent = 0;
    let cpu = 0;
    let wall = 0;
    let decode: JitterCounters | null = null;
    for (const d of done) {
      if (d.kind !== 'done') continue;
      if (d.decode) addJitterCounters((decode ??= zeroJitterCounters()), d.decode);
      total.merge(d.stats);
      sends.push(...d.sends);
      sent += d.sent;
      cpu += d.cpuMicros;
      wall = Math.max(wall, d.wallMs);
    }
    return {
      bots: specs.length,
      talkers: specs.filter((s) => s.talk).length,
      framesSent: sent,
      receive: total.summary(),
      transit: transitSummary(sends, total.transitSamples, startAtMs + (options.warmupMs ?? 0)),
      botCpuPercent: (cpu / 1000 / wall) * 100,
      wallMs: wall,
      decode,
    };
  } finally {
    // Bots close their sessions before reporting; give them a moment to exit, then make sure.
    await Promise.all(
      children.map((c) =>
        c.exitCode !== null
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                c.kill('SIGKILL');
                resolve();
              }, 3000);
              c.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
            }),
      ),
    );
  }
}
