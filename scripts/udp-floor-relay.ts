/**
 * The floor: the same relay job with plain Node UDP and nothing else — no ICE,
 * DTLS, SCTP or validation beyond the token. A 8-byte registration datagram
 * "REG" + u8 channel + u32 token binds a socket address to (token, channel);
 * every other datagram is forwarded as is to the other members of the
 * sender's channel. Used only by `npm run bench:relay`.
 *
 * `--records`: the floor with DTLS's record cost (floor-records.ts). Each
 * datagram is a sealed record, opened with the sender's keys (known by its
 * port: every bot has its own socket on 127.0.0.1); an ack record is dropped
 * once opened, a voice datagram is sealed again for each other member of the
 * channel with that member's keys.
 */
import dgram from 'node:dgram';
import type { DtlsRecordCodec } from '../server/rtc/dtls-record-codec.ts';
import { floorCodec, isWholeRecord } from './floor-records.ts';

const records = process.argv.includes('--records');
interface Member {
  port: number;
  address: string;
  token: number;
  channel: number;
  codec: DtlsRecordCodec | null;
}
const sock = dgram.createSocket('udp4');
const byToken = new Map<number, Member>();
const byPort = new Map<number, Member>();
const channels = new Map<number, Member[]>();

sock.on('message', (msg, rinfo) => {
  if (msg.length === 8 && msg[0] === 0x52 && msg[1] === 0x45 && msg[2] === 0x47) {
    const token = msg.readUInt32BE(4);
    const member: Member = { port: rinfo.port, address: rinfo.address, token, channel: msg[3]!, codec: records ? floorCodec(token, 'server') : null };
    byToken.set(token, member);
    byPort.set(rinfo.port, member);
    const list = channels.get(member.channel) ?? [];
    list.push(member);
    channels.set(member.channel, list);
    sock.send(msg, rinfo.port, rinfo.address);
    return;
  }
  if (records) {
    const from = byPort.get(rinfo.port);
    const plain = from && isWholeRecord(msg) ? from.codec!.open(msg, 0) : null;
    // An ack (zeros) fails the token check: opened, then dropped.
    if (!from || !plain || plain.length < 16 || plain.readUInt32BE(0) !== from.token) return;
    for (const m of channels.get(from.channel)!) {
      if (m !== from) sock.send(m.codec!.seal(plain), m.port, m.address);
    }
    return;
  }
  if (msg.length < 16) return;
  const token = msg.readUInt32BE(0);
  const sender = byToken.get(token);
  if (!sender) return;
  for (const m of channels.get(sender.channel) ?? []) {
    if (m.token !== token) sock.send(msg, m.port, m.address);
  }
});
sock.bind(0, '127.0.0.1', () => {
  process.stderr.write(`udp-floor listening ${sock.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
