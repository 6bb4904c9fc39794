/**
 * A bot process: several headless clients (the Node VoiceSession) that join
 * their channels, loop pre-encoded Opus frames as their microphone on a
 * drift-free 20 ms schedule, and measure what they receive. It runs outside
 * the server's event loop so the relay measures only itself.
 * Started by bot-fleet.ts with `fork`; speaks bot-protocol.ts over IPC.
 */
import { performance } from 'node:perf_hooks';
import { controlUrl, createNodeVoiceSession } from '../../client/node/node-voice-session.ts';
import type { VoiceSession } from '../../client/net/voice-session.ts';
import { ReceiveStats, SendLog, addJitterCounters, wallClockTimestamp } from './bot-stats.ts';
import { zeroJitterCounters } from '../../shared/audio/jitter-buffer.ts';
import { runFrameSchedule } from './frame-schedule.ts';
import { FRAME_MS, FRAME_SAMPLES } from '../../shared/voice/constants.ts';
import { createVoiceHeader, readVoiceHeader } from '../../shared/voice/voice-header.ts';
import { VoiceReceiver } from '../../shared/audio/voice-receiver.ts';
import type { JitterCounters } from '../../shared/audio/jitter-buffer.ts';
import type { BotSpec, FromBots, ToBots } from './bot-protocol.ts';

const send = (m: FromBots): void => {
  process.send?.(m);
};

const absNow = (): number => performance.timeOrigin + performance.now();
const header = createVoiceHeader();

let sessions: VoiceSession[] = [];
let specs: BotSpec[] = [];
let packets: Uint8Array[] = [];
/** Delay percentiles leave out the first seconds of talking (connection and JIT warm-up); loss counts everything. */
let measureFromMs = 0;
/** One per bot: loss is counted per (receiver, sender) pair. */
const perBot: ReceiveStats[] = [];
/** With `decode`, each bot also plays what it hears: jitter buffer → Opus decode → mix, one frame per 20 ms. */
const receivers: VoiceReceiver[] = [];
let playout: ReturnType<typeof setTimeout> | null = null;

async function start(url: string, bots: BotSpec[], frames: number[][], decode: boolean): Promise<void> {
  specs = bots;
  packets = frames.map((f) => Uint8Array.from(f));
  for (const spec of bots) {
    const s = createNodeVoiceSession({ url: controlUrl(url), nickname: spec.nickname, pingIntervalMs: 5000 });
    await s.connect();
    await s.joinChannel(spec.channelId);
    // The lane of the channel joined: a join to a channel on another relay thread closed the first one
    // (rtc-renew comes before joined) and a new one is being negotiated.
    if (!s.voiceOpen) {
      const open = new Promise<void>((resolve) => s.once('voice-open', resolve));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([open, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${spec.nickname}: voice lane did not open`)), 15_000)))]);
      clearTimeout(timer);
    }
    const stats = new ReceiveStats(measureFromMs);
    perBot.push(stats);
    const receiver = decode ? new VoiceReceiver({ jitter: { mode: 'adaptive' } }) : null;
    if (receiver) receivers.push(receiver);
    s.on('datagram', (d) => {
      receiver?.push(d, performance.now());
      if (readVoiceHeader(d, header) === null) stats.record(header.token, header.sequence, header.timestamp, absNow());
    });
    sessions.push(s);
  }
  if (receivers.length > 0) startPlayout();
  send({ kind: 'ready', tokens: sessions.map((s) => s.sessionToken) });
}

/** A drift-free 20 ms playout clock for every decoding bot. */
function startPlayout(): void {
  const frame = new Float32Array(FRAME_SAMPLES);
  const t0 = performance.now();
  let k = 0;
  const tick = (): void => {
    while (t0 + k * FRAME_MS <= performance.now()) {
      for (const r of receivers) r.tick(frame);
      k++;
      if (k % 500 === 0) for (const r of receivers) r.evictIdle(performance.now());
    }
    playout = setTimeout(tick, Math.max(0, t0 + k * FRAME_MS - performance.now()));
  };
  tick();
}

function decodeTotals(): JitterCounters | null {
  if (receivers.length === 0) return null;
  const total = zeroJitterCounters();
  for (const r of receivers) for (const sp of r.speakers.values()) addJitterCounters(total, sp.jitter.readStats().lifetime);
  return total;
}

async function go(startAtMs: number, durationMs: number, warmupMs: number): Promise<void> {
  measureFromMs = startAtMs + warmupMs;
  for (const st of perBot) st.setMeasureFrom(measureFromMs);
  const cpu0 = process.cpuUsage();
  const wall0 = absNow();
  const talkers = sessions.filter((_, i) => specs[i]!.talk);
  const frames = Math.floor(durationMs / FRAME_MS);
  const logs = new Map(talkers.map((s) => [s, new SendLog(s.sessionToken, frames)]));
  const sent = await runFrameSchedule(talkers, startAtMs, frames, absNow, (s, n, dueMs) => {
    const at = absNow();
    if (s.sendVoice(packets[n % packets.length]!, { timestamp: wallClockTimestamp(dueMs) })) logs.get(s)!.mark(n, dueMs, at);
  });
  await new Promise((r) => setTimeout(r, 1000)); // let the last frames arrive
  const cpu = process.cpuUsage(cpu0);
  const wallMs = absNow() - wall0;
  // Leave properly (close 1000) so the server ends the sessions now instead of holding them for the resume grace.
  for (const s of sessions) s.close();
  sessions = [];
  await new Promise((r) => setTimeout(r, 300));
  if (playout) clearTimeout(playout);
  const decoded = decodeTotals();
  for (const r of receivers) r.close();
  const total = new ReceiveStats();
  for (const b of perBot) total.merge(b.serialize());
  send({ kind: 'done', stats: total.serialize(), sends: [...logs.values()].map((l) => l.toJSON()), sent, cpuMicros: cpu.user + cpu.system, wallMs, decode: decoded });
  setTimeout(() => process.exit(0), 100);
}

// The fleet is gone (its process ended without telling us, e.g. Ctrl-C on a benchmark): so are the bots.
process.on('disconnect', () => process.exit(0));

process.on('message', (m: ToBots) => {
  const run = m.kind === 'start' ? start(m.url, m.bots, m.packets, m.decode) : go(m.startAtMs, m.durationMs, m.warmupMs);
  run.catch((error: unknown) => {
    send({ kind: 'failed', message: (error as Error).message });
    setTimeout(() => process.exit(1), 100);
  });
});
