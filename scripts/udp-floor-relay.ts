/**
 * The floor: the same relay job with plain Node UDP and nothing else — no ICE,
 * DTLS, SCTP or validation beyond the token. A 6-byte registration datagram
 * "REG" + u8 channel + u16 pad binds a socket address to (token, channel);
 * every other datagram is forwarded as is to the other members of the
 * sender's channel. Used only by `npm run bench:relay`.
 */
import dgram from 'node:dgram';

const sock = dgram.createSocket('udp4');
const byToken = new Map<number, { port: number; address: string; channel: number }>();
const channels = new Map<number, { port: number; address: string; token: number }[]>();

sock.on('message', (msg, rinfo) => {
  if (msg.length === 8 && msg[0] === 0x52 && msg[1] === 0x45 && msg[2] === 0x47) {
    const channel = msg[3]!;
    const token = msg.readUInt32BE(4);
    const member = { port: rinfo.port, address: rinfo.address, token };
    byToken.set(token, { ...member, channel });
    const list = channels.get(channel) ?? [];
    list.push(member);
    channels.set(channel, list);
    sock.send(msg, rinfo.port, rinfo.address);
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
