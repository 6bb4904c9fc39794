/**
 * npm run bench:relay — the relay's capacity, measured.
 *
 * The server runs as its own process pinned to CPU 0; the bots (real WebRTC
 * clients, @roamhq/wrtc) run in child processes pinned to CPU 1 with this
 * script, so the relay's figures are its own. Each scenario reports server CPU
 * (% of one core and µs per forwarded datagram, from /proc), datagrams in and
 * forwarded per second (from /api/stats), loss at the receivers, delay
 * p50/p99 from each frame's due time to its arrival (on one clock: bots stamp
 * the header timestamp with wall-clock samples of the due time; the first
 * second of talking is left out as warm-up, loss counts every frame), transit
 * p50/p99 from the talker's send() to the arrival (the due-time delay without
 * the bots' own lateness in sending, whose p99 is reported beside it), the
 * relay's hold p99 (from /api/stats: the relay queueing a datagram to its
 * sendmsg), the server's peak RSS and the bots' own CPU. Scenarios
 * (a) and (b) also run through a plain Node UDP relay (the floor) with the same
 * topology and datagrams, and print the ratio; (b) also through the floor with
 * DTLS's record cost (`udp-records`: every datagram opened, every copy sealed,
 * every second record a listener gets answered, scripts/floor-records.ts).
 *
 *   --quick          short runs (smoke test of the script)
 *   --only=a,b,c     a subset of scenarios (also: i, d, e — see the list at the bottom)
 *   --steps=1,2,3,4  channels of ten in the ramps (c, e)
 *   --hogs=N         busy-loop processes sharing CPU 0 with the server in (e) (default 3; 0 with --cpu-share)
 *   --cpu-share=F    in (e), limit the server to F (0–1) of a core by CFS bandwidth control, as a container's CPU
 *                    limit does (a cgroup; needs root), every --cpu-period-ms (default 10)
 *   --send-path=stock  werift's own DataChannel send and receive paths and raw AES keys (VOICE_RTC_SEND_PATH), to compare
 *   --bundle-ms=N    the relay holds datagrams to a listener up to N ms for company (VOICE_RELAY_BUNDLE_MS, default 0)
 *   --profile        run the server with --cpu-prof and print its top functions by self time
 *
 * The server runs with VOICE_RELAY_THREADS = this machine's core count (its
 * default outside a CPU pin): in (a)–(c), (i) and (e) its shards share CPU 0;
 * (d) lets it use every core (the bots still run on CPU 1 beside it).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../server/db/database.ts';
import { migrateToLatestOrThrow } from '../server/db/migrate.ts';
import { runBots, encodeLoop, type FleetResult } from '../server/bots/bot-fleet.ts';
import { runFloorLoad } from './udp-floor-load.ts';
import { cpuSeconds, limitCpu, machine, pin, rssBytes, sleep, spawnPinnedNode, startPinned, table, threadCpuSeconds } from './bench-util.ts';
import type { ServerStats } from '../server/app.ts';
import { bucketDiff, bucketPercentile } from '../shared/util/bucket-histogram.ts';
import type { ChannelConfig } from '../shared/control/protocol.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const profile = args.includes('--profile');
const only = (args.find((a) => a.startsWith('--only='))?.slice(7) ?? 'a,b,c').split(',');
const CONFIG: ChannelConfig = { bitrate: 32_000, frameSamples: 960 };
const sendPath = args.find((a) => a.startsWith('--send-path='))?.slice(12) ?? 'fast';
const bundleMs = args.find((a) => a.startsWith('--bundle-ms='))?.slice(12) ?? '0';
const cpuShare = Number(args.find((a) => a.startsWith('--cpu-share='))?.slice(12) ?? 0);
const cpuPeriodMs = Number(args.find((a) => a.startsWith('--cpu-period-ms='))?.slice(16) ?? 10);
const hogCount = Number(args.find((a) => a.startsWith('--hogs='))?.slice(7) ?? (cpuShare > 0 ? 0 : 3));
const cores = availableParallelism();
const RELAY_LABEL = sendPath === 'stock' ? 'werift-stock' : bundleMs !== '0' ? `werift-hold-${bundleMs}ms` : 'werift';

pin(process.pid, '1');

interface Row {
  scenario: string;
  relay: string;
  bots: number;
  talkers: number;
  offeredFwdPerS: number;
  inPerS: number;
  fwdPerS: number;
  cpuPercent: number;
  usPerFwd: number;
  lossPercent: number;
  /** From the frame's due time (its header timestamp) to its arrival. */
  p50Ms: number;
  p99Ms: number;
  /** From the talker's send() to the arrival (sampled frames). */
  transitP50Ms: number;
  transitP99Ms: number;
  /** The bots' own lateness in sending against their schedule. */
  sendLateP99Ms: number;
  /** The server's voice lanes: relay queueing → sendmsg ('–': not measured, werift's own path or the floor). */
  holdP99Ms: number | string;
  rssMB: number;
  /** RSS at the start and the end of the measured window: flat under load, or growing. */
  rssStartMB: number;
  rssEndMB: number;
  botCpuPercent: number;
  /** The server's threads (main, relay-shard-N, helpers that used ≥ 0.5 %), % of a core each over the window. */
  threads: string;
  /** Per second, in the measured window. */
  backlogDrops: number;
  rateDrops: number;
  staleDrops: number;
  /** Copies that waited in a listener's queue past the age limit (relay drop reason `expired`). */
  expiredDrops: number;
  /** Receivers' totals over the whole run (not only the measured window). */
  framesExpected: number;
  framesReceived: number;
}

const rows: Row[] = [];
const BENCH_ADMIN_PASSWORD = 'bench-admin-password';
const dataDir = await mkdtemp(path.join(tmpdir(), 'voice-bench-'));
const profDir = path.join(dataDir, 'prof');

// A data dir with ten bench channels next to the defaults.
const db = openDatabase(dataDir);
await migrateToLatestOrThrow(db, path.join(root, 'migrations'));
const benchChannels: number[] = [];
for (let i = 1; i <= 10; i++) {
  const r = await db.kysely.insertInto('channels').values({ parent_id: 1, name: `bench-${i}`, position: 10 + i, bitrate: CONFIG.bitrate, frame_samples: CONFIG.frameSamples }).returning('id').executeTakeFirstOrThrow();
  benchChannels.push(r.id);
}
await db.close();

const server = await startPinned(
  [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), path.join(root, 'server/main.ts')],
  {
    VOICE_HOST: '127.0.0.1',
    VOICE_PORT: '0',
    VOICE_DATA_DIR: dataDir,
    VOICE_LOG_LEVEL: 'info',
    VOICE_HANDSHAKE_TIMEOUT_MS: '60000',
    VOICE_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
    VOICE_RELAY_THREADS: String(cores),
    VOICE_RTC_SEND_PATH: sendPath,
    VOICE_RELAY_BUNDLE_MS: bundleMs,
  },
  '0',
  /listening .*"port":(\d+)/,
);
const url = `http://127.0.0.1:${server.match[1]}`;
// /api/stats needs a moderator's token: log in as the admin this fresh data dir was given.
const login = await fetch(`${url}/api/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'admin', password: BENCH_ADMIN_PASSWORD }),
});
if (!login.ok) throw new Error(`admin login failed: ${login.status} ${await login.text()}`);
const { token } = (await login.json()) as { token: string };
const stats = async (): Promise<ServerStats> =>
  (await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<ServerStats>;

async function waitIdle(): Promise<void> {
  for (let i = 0; i < 100 && (await stats()).sessions > 0; i++) await sleep(100);
}

async function werift(scenario: string, channels: number, perChannel: number, talkers: number, seconds: number): Promise<Row> {
  await waitIdle();
  // Steady state only: from 1 s after the bots start talking to 0.5 s before they stop.
  const snap = async () => ({ s: await stats(), cpu: cpuSeconds(server.pid), t: performance.now(), rss: rssBytes(server.pid), threads: threadCpuSeconds(server.pid) });
  let first: Promise<Awaited<ReturnType<typeof snap>>> | null = null;
  let last: Promise<Awaited<ReturnType<typeof snap>>> | null = null;
  let rssMax = 0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(server.pid))), 250);
  let result: FleetResult;
  try {
    result = await runBots({
      url,
      channels: benchChannels.slice(0, channels),
      botsPerChannel: perChannel,
      talkersPerChannel: talkers,
      durationMs: seconds * 1000,
      config: CONFIG,
      processes: Math.max(1, Math.ceil((channels * perChannel) / 25)),
      warmupMs: 1000,
      onStart: (startAt) => {
        const inMs = startAt - Date.now();
        setTimeout(() => (first = snap()), inMs + 1000);
        setTimeout(() => (last = snap()), inMs + seconds * 1000 - 500);
      },
    });
  } finally {
    clearInterval(sampler);
  }
  const a = await first!;
  const b = await last!;
  const window = (b.t - a.t) / 1000;
  const s0 = a.s;
  const s1 = b.s;
  const c0 = a.cpu;
  const c1 = b.cpu;
  const fwd = s1.relay.forwarded - s0.relay.forwarded;
  const r = result.receive;
  const held = bucketDiff(s0.relayHold.counts, s1.relayHold.counts);
  const hold = held === null ? null : bucketPercentile(held, s1.relayHold.bucketMs, 0.99);
  return {
    scenario,
    relay: RELAY_LABEL,
    bots: result.bots,
    talkers: result.talkers,
    offeredFwdPerS: result.talkers * 50 * (perChannel - 1),
    inPerS: Math.round((s1.relay.datagramsIn - s0.relay.datagramsIn) / window),
    fwdPerS: Math.round(fwd / window),
    cpuPercent: +(((c1 - c0) / window) * 100).toFixed(1),
    usPerFwd: +(((c1 - c0) * 1e6) / Math.max(1, fwd)).toFixed(1),
    lossPercent: +((r.lost / Math.max(1, r.expected)) * 100).toFixed(2),
    p50Ms: +r.delay.p50.toFixed(1),
    p99Ms: +r.delay.p99.toFixed(1),
    transitP50Ms: +result.transit.transit.p50.toFixed(1),
    transitP99Ms: +result.transit.transit.p99.toFixed(1),
    sendLateP99Ms: +result.transit.sendLate.p99.toFixed(1),
    holdP99Ms: hold === null ? '–' : +hold.toFixed(2),
    rssMB: Math.round(rssMax / 2 ** 20),
    rssStartMB: Math.round(a.rss / 2 ** 20),
    rssEndMB: Math.round(b.rss / 2 ** 20),
    botCpuPercent: +result.botCpuPercent.toFixed(0),
    threads: [...b.threads.entries()]
      .map(([name, secs]) => [name.replace('relay-shard-', 'shard ').replace(/^(MainThread|node)$/, 'main'), Math.round(((secs - (a.threads.get(name) ?? 0)) / window) * 100)] as const)
      // Node's and V8's helper threads only when they used something.
      .filter(([name, percent]) => percent > 0 || name === 'main' || name.startsWith('shard '))
      .sort(([x], [y]) => x.localeCompare(y, 'en', { numeric: true }))
      .map(([name, percent]) => `${name} ${percent}`)
      .join(', '),
    backlogDrops: Math.round((s1.relay.drops['receiver-backlog'] - s0.relay.drops['receiver-backlog']) / window),
    rateDrops: Math.round((s1.relay.drops['rate-limited'] - s0.relay.drops['rate-limited']) / window),
    staleDrops: Math.round((s1.relay.drops.stale - s0.relay.drops.stale) / window),
    expiredDrops: Math.round((s1.relay.drops.expired - s0.relay.drops.expired) / window),
    framesExpected: r.expected,
    framesReceived: r.received,
  };
}

async function floor(scenario: string, channels: number, perChannel: number, talkers: number, seconds: number, records = false): Promise<Row> {
  const relay = await startPinned([path.join(root, 'scripts/udp-floor-relay.ts'), ...(records ? ['--records'] : [])], {}, '0', /udp-floor listening (\d+)/);
  try {
    const packets = await encodeLoop(CONFIG);
    let rssMax = 0;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(relay.pid))), 250);
    const c0 = cpuSeconds(relay.pid);
    const t0 = performance.now();
    const load = await runFloorLoad({ port: Number(relay.match[1]), channels, botsPerChannel: perChannel, talkersPerChannel: talkers, durationMs: seconds * 1000, packets, records, measureFromMs: performance.timeOrigin + performance.now() + 1200 });
    clearInterval(sampler);
    const window = (performance.now() - t0) / 1000;
    const c1 = cpuSeconds(relay.pid);
    const r = load.stats.summary();
    return {
      scenario,
      relay: records ? 'udp-records' : 'udp-floor',
      bots: channels * perChannel,
      talkers: channels * talkers,
      offeredFwdPerS: channels * talkers * 50 * (perChannel - 1),
      inPerS: Math.round(load.sent / (seconds + 0.2)),
      fwdPerS: Math.round(r.received / (seconds + 0.2)),
      cpuPercent: +(((c1 - c0) / window) * 100).toFixed(1),
      usPerFwd: +(((c1 - c0) * 1e6) / Math.max(1, r.received)).toFixed(1),
      lossPercent: +((r.lost / Math.max(1, r.expected)) * 100).toFixed(2),
      p50Ms: +r.delay.p50.toFixed(1),
      p99Ms: +r.delay.p99.toFixed(1),
      transitP50Ms: +load.transit.transit.p50.toFixed(1),
      transitP99Ms: +load.transit.transit.p99.toFixed(1),
      sendLateP99Ms: +load.transit.sendLate.p99.toFixed(1),
      holdP99Ms: '–',
      rssMB: Math.round(rssMax / 2 ** 20),
      rssStartMB: 0,
      rssEndMB: 0,
      botCpuPercent: +((load.cpuMicros / 1000 / load.wallMs) * 100).toFixed(0),
      threads: '',
      backlogDrops: 0,
      rateDrops: 0,
      staleDrops: 0,
      expiredDrops: 0,
      framesExpected: r.expected,
      framesReceived: r.received,
    };
  } finally {
    relay.child.kill('SIGTERM');
  }
}

const secs = (full: number) => (quick ? Math.min(full, 5) : full);
const steps = (args.find((a) => a.startsWith('--steps='))?.slice(8) ?? (quick ? '1,3' : '1,2,3,4')).split(',').map(Number);
try {
  if (only.includes('a')) {
    rows.push(await werift('a: 100 bots, 10×10, 2 talking', 10, 10, 2, secs(60)));
    rows.push(await floor('a: 100 bots, 10×10, 2 talking', 10, 10, 2, secs(20)));
  }
  if (only.includes('b')) {
    rows.push(await werift('b: 10 bots, 1 channel, all talking', 1, 10, 10, secs(30)));
    rows.push(await floor('b: 10 bots, 1 channel, all talking', 1, 10, 10, secs(20)));
    rows.push(await floor('b: 10 bots, 1 channel, all talking', 1, 10, 10, secs(20), true));
  }
  if (only.includes('i')) {
    // One talker of ten: with (b), separates the per-datagram cost from the fixed cost of the peer connections.
    rows.push(await werift('i: 10 bots, 1 channel, 1 talking', 1, 10, 1, secs(20)));
  }
  if (only.includes('c')) {
    for (const k of steps) rows.push(await werift(`c: ramp ${k}×10 all talking`, k, 10, 10, secs(15)));
  }
  if (only.includes('d')) {
    // All 100 talking (45 000/s offered) with the server on every core; the bots stay on CPU 1.
    pin(server.pid, `0-${cores - 1}`);
    try {
      rows.push(await werift(`d: 100 bots, 10×10, all talking, server on ${cores} cores`, 10, 10, 10, secs(20)));
    } finally {
      pin(server.pid, '0');
    }
  }
  if (only.includes('e')) {
    // Overload: the server gets less of CPU 0 — busy loops share it at equal priority (about 1/(hogs+1) of the
    // core, in the scheduler's slices), and/or a CPU limit (--cpu-share, a share of every period).
    const hogs: ChildProcess[] = [];
    let limit: { release(): void } | null = null;
    const how = [hogCount > 0 ? `beside ${hogCount} busy loops` : '', cpuShare > 0 ? `limited to ${Math.round(cpuShare * 100)} % of a core per ${cpuPeriodMs} ms` : ''].filter(Boolean).join(', ');
    try {
      for (let i = 0; i < hogCount; i++) hogs.push(spawnPinnedNode(['-e', 'for(;;){}'], '0', { stdio: 'ignore' }));
      if (cpuShare > 0) limit = limitCpu(server.pid, cpuShare, cpuPeriodMs * 1000);
      for (const k of steps) rows.push(await werift(`e: ${k}×10 all talking, server ${how}`, k, 10, 10, secs(20)));
    } finally {
      for (const h of hogs) h.kill('SIGKILL');
      limit?.release();
    }
  }
} finally {
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
}

const ratio = (s: string, floorLabel = 'udp-floor') => {
  const w = rows.find((r) => r.scenario.startsWith(s) && r.relay === RELAY_LABEL);
  const f = rows.find((r) => r.scenario.startsWith(s) && r.relay === floorLabel);
  return w && f ? +(w.usPerFwd / f.usPerFwd).toFixed(1) : null;
};
const result = { date: new Date().toISOString(), machine: machine(), config: CONFIG, quick, rows, ratioToFloor: { a: ratio('a:'), b: ratio('b:') }, ratioToRecordsFloor: { b: ratio('b:', 'udp-records') } };

let profileSummary: { fn: string; selfPercent: number }[] = [];
if (profile) {
  const files = (await readdir(profDir)).filter((f) => f.endsWith('.cpuprofile'));
  await mkdir(path.join(root, 'bench-results'), { recursive: true });
  // One profile per thread (main, each shard): summed, so the relay's hot functions are not hidden behind
  // whichever thread's file comes first. Share of the busy time: idle samples (waiting for I/O) are left out.
  let total = 0;
  const byFn = new Map<string, number>();
  for (const [i, f] of files.entries()) {
    const raw = await readFile(path.join(profDir, f), 'utf8');
    await writeFile(path.join(root, 'bench-results', `relay-server-${i}.cpuprofile`), raw); // for DevTools, or inclusive times
    const prof = JSON.parse(raw) as { nodes: { id: number; hitCount: number; callFrame: { functionName: string; url: string; lineNumber: number } }[] };
    for (const n of prof.nodes) {
      if (n.callFrame.functionName !== '(idle)') total += n.hitCount;
      const where = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(server|shared|client)\//, '$1/');
      const key = `${n.callFrame.functionName || '(anonymous)'} ${where ? `${where}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
      byFn.set(key, (byFn.get(key) ?? 0) + n.hitCount);
    }
  }
  byFn.delete('(idle)');
  profileSummary = [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([fn, hits]) => ({ fn, selfPercent: +((hits / total) * 100).toFixed(1) }));
}

process.stdout.write(`\nvoice-app relay benchmark — ${result.date}\n${result.machine}\nchannel config: ${CONFIG.bitrate} bit/s, ${CONFIG.frameSamples} samples\n\n`);
process.stdout.write(table(rows.map((r) => ({ ...r }))) + '\n\n');
process.stdout.write(`server CPU µs per forwarded datagram, werift relay / UDP floor: a ${result.ratioToFloor.a ?? '–'}×, b ${result.ratioToFloor.b ?? '–'}×; / the floor with DTLS records: b ${result.ratioToRecordsFloor.b ?? '–'}×\n`);
if (profile) process.stdout.write('\ntop functions by self time (server, every thread, % of busy time, whole run):\n' + table(profileSummary.map((p) => ({ selfPercent: p.selfPercent, fn: p.fn }))) + '\n');
const json = JSON.stringify({ ...result, profile: profileSummary }, null, 2);
process.stdout.write('\n' + json + '\n');
await mkdir(path.join(root, 'bench-results'), { recursive: true });
await writeFile(path.join(root, 'bench-results', `relay-${result.date.replace(/[:.]/g, '-')}.json`), json);
await rm(dataDir, { recursive: true, force: true });
process.exit(0);
