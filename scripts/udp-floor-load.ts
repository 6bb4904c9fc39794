/** The floor's load: one UDP socket per bot, the same schedule and datagrams as the WebRTC bots. */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { ReceiveStats, wallClockTimestamp } from '../server/bots/bot-stats.ts';
import { encodeVoiceDatagram } from '../shared/voice/voice-header.ts';

export interface FloorLoad {
  port: number;
  channels: number;
  botsPerChannel: number;
  talkersPerChannel: number;
  durationMs: number;
  packets: Uint8Array[];
  /** Frames sent before this wall-clock ms count for loss but not for the delay percentiles (warm-up). */
  measureFromMs?: number;
}

export async function runFloorLoad(o: FloorLoad): Promise<{ stats: ReceiveStats; sent: number; cpuMicros: number; wallMs: number }> {
  const absNow = () => performance.timeOrigin + performance.now();
  const perBot: ReceiveStats[] = [];
  const bots: { sock: dgram.Socket; token: number; talk: boolean; offset: number; frame: number }[] = [];
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
      sock.on('message', (d) => mine.record(d.readUInt32BE(0), d.readUInt32BE(8), d.readUInt32BE(12), absNow()));
      bots.push({ sock, token: t, talk: i < o.talkersPerChannel, offset: (bots.length * 7) % 20, frame: 0 });
    }
  }
  const talkers = bots.filter((b) => b.talk);
  const frames = Math.floor(o.durationMs / 20);
  const start = absNow() + 200;
  const cpu0 = process.cpuUsage();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const step = (): void => {
      const now = absNow();
      let nextDue = Infinity;
      for (const b of talkers) {
        while (b.frame < frames && start + b.offset + b.frame * 20 <= now) {
          const due = start + b.offset + b.frame * 20;
          b.sock.send(encodeVoiceDatagram({ token: b.token, sequence: b.frame, timestamp: wallClockTimestamp(due) }, o.packets[b.frame % o.packets.length]!), o.port, '127.0.0.1');
          b.frame++;
          sent++;
        }
        if (b.frame < frames) nextDue = Math.min(nextDue, start + b.offset + b.frame * 20);
      }
      if (nextDue === Infinity) return resolve();
      setTimeout(step, Math.max(0, nextDue - absNow()));
    };
    setTimeout(step, 200);
  });
  await new Promise((r) => setTimeout(r, 1000));
  const cpu = process.cpuUsage(cpu0);
  for (const b of bots) b.sock.close();
  const stats = new ReceiveStats();
  for (const m of perBot) stats.merge(m.serialize());
  return { stats, sent, cpuMicros: cpu.user + cpu.system, wallMs: absNow() - start };
}
