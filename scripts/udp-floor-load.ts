/**
 * The floor's load: one UDP socket per bot, the same schedule and datagrams as
 * the WebRTC bots. With `records` (udp-floor-relay.ts --records) every datagram
 * goes out as a sealed record, every record that comes in is opened, and every
 * second one is answered with a sealed ack (floor-records.ts).
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { ReceiveStats, SendLog, transitSummary, wallClockTimestamp, type TransitSummary } from '../server/bots/bot-stats.ts';
import { createVoiceHeader, encodeVoiceDatagram, readVoiceHeader } from '../shared/voice/voice-header.ts';
import { runFrameSchedule } from '../server/bots/frame-schedule.ts';
import { FRAME_MS } from '../shared/voice/constants.ts';
import { FLOOR_ACK_BYTES, floorCodec, isWholeRecord } from './floor-records.ts';

export interface FloorLoad {
  port: number;
  channels: number;
  botsPerChannel: number;
  talkersPerChannel: number;
  durationMs: number;
  packets: Uint8Array[];
  /** Frames sent before this wall-clock ms count for loss but not for the delay percentiles (warm-up). */
  measureFromMs?: number;
  /** The relay runs with --records: seal, open and ack as floor-records.ts describes. */
  records?: boolean;
}

export async function runFloorLoad(o: FloorLoad): Promise<{ stats: ReceiveStats; transit: TransitSummary; sent: number; cpuMicros: number; wallMs: number }> {
  const absNow = () => performance.timeOrigin + performance.now();
  const perBot: ReceiveStats[] = [];
  const header = createVoiceHeader();
  const ack = Buffer.alloc(FLOOR_ACK_BYTES);
  const bots: { sock: dgram.Socket; token: number; talk: boolean; codec: ReturnType<typeof floorCodec> | null }[] = [];
  let token = 1000;
  for (let c = 0; c < o.channels; c++) {
    for (let i = 0; i < o.botsPerChannel; i++) {
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      const t = ++token;
      const registered = new Promise<void>((r) => sock.once('message', () => r()));
      const reg = Buffer.from([0x52, 0x45, 0x47, c, 0, 0, 0, 0]);
      reg.writeUInt32BE(t, 4);
      sock.send(reg, o.port, '127.0.0.1');
      await registered;
      const mine = new ReceiveStats(o.measureFromMs);
      perBot.push(mine);
      const codec = o.records ? floorCodec(t, 'client') : null;
      let unacked = 0;
      sock.on('message', (d) => {
        const plain = codec ? (isWholeRecord(d) ? codec.open(d, 0) : null) : d;
        if (plain === null) return;
        if (codec && ++unacked === 2) {
          unacked = 0;
          sock.send(codec.seal(ack), o.port, '127.0.0.1');
        }
        if (readVoiceHeader(plain, header) === null) mine.record(header.token, header.sequence, header.timestamp, absNow());
      });
      bots.push({ sock, token: t, talk: i < o.talkersPerChannel, codec });
    }
  }
  const talkers = bots.filter((b) => b.talk);
  const start = Math.ceil(absNow()) + 200; // a whole ms: every frame's wall-clock timestamp is then exactly 960 after the last
  const cpu0 = process.cpuUsage();
  const frames = Math.floor(o.durationMs / FRAME_MS);
  const logs = new Map(talkers.map((b) => [b, new SendLog(b.token, frames)]));
  const sent = await runFrameSchedule(talkers, start, frames, absNow, (b, n, dueMs) => {
    logs.get(b)!.mark(n, dueMs, absNow());
    const datagram = encodeVoiceDatagram({ token: b.token, sequence: n, timestamp: wallClockTimestamp(dueMs) }, o.packets[n % o.packets.length]!);
    b.sock.send(b.codec ? b.codec.seal(datagram) : datagram, o.port, '127.0.0.1');
  });
  await new Promise((r) => setTimeout(r, 1000));
  const cpu = process.cpuUsage(cpu0);
  for (const b of bots) b.sock.close();
  const stats = new ReceiveStats();
  for (const m of perBot) stats.merge(m.serialize());
  const transit = transitSummary([...logs.values()].map((l) => l.toJSON()), stats.transitSamples, o.measureFromMs ?? 0);
  return { stats, transit, sent, cpuMicros: cpu.user + cpu.system, wallMs: absNow() - start };
}
