/**
 * VoicePeer against a real werift offer on loopback: the remote-candidate cap
 * (MAX_REMOTE_CANDIDATES) holds for the offer's candidates and the trickled
 * ones together, per peer connection.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { RTCPeerConnection } from 'werift';
import { VOICE_CHANNEL_INIT, VOICE_CHANNEL_LABEL } from '../../shared/voice/constants.ts';
import { setLogLevel } from '../util/log.ts';
import { MAX_REMOTE_CANDIDATES } from './remote-candidates.ts';
import { VoicePeer } from './voice-peer.ts';

setLogLevel('error');
const closers: Array<() => unknown> = [];
after(async () => {
  for (const close of closers) await close();
});

/** A client offer with `extra` host candidates at 127.0.0.1 (ports nobody listens on) added to its own. */
async function offerWith(extra: number): Promise<string> {
  const client = new RTCPeerConnection({ iceServers: [] });
  closers.push(() => client.close());
  client.createDataChannel(VOICE_CHANNEL_LABEL, { ...VOICE_CHANNEL_INIT });
  await client.setLocalDescription(await client.createOffer());
  const own = client.localDescription!.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:') && l !== '');
  const added = Array.from({ length: extra }, (_, i) => `a=candidate:x${i} 1 udp 2122260223 127.0.0.1 ${40_000 + i} typ host`);
  return [...own, ...added, ''].join('\r\n');
}

function peer(): VoicePeer {
  const p = new VoicePeer({ portRange: null, extraHostAddresses: [], announcedAddress: null, dtlsKeys: null }, () => {}, () => {});
  closers.push(() => p.close());
  return p;
}

const trickled = (port: number) => `candidate:t 1 udp 2122260223 127.0.0.1 ${port} typ host`;

test('the offer’s candidates and the trickled ones share one cap', async () => {
  const full = peer();
  const answered = await full.answer(await offerWith(MAX_REMOTE_CANDIDATES + 2), '127.0.0.1', null);
  assert.equal(answered.dropped, 2);
  assert.match(answered.sdp, /^a=candidate:/m);
  assert.equal(full.acceptRemoteCandidate(trickled(41_000), '127.0.0.1'), false, 'the offer used the whole cap');

  const some = peer();
  await some.answer(await offerWith(3), '::ffff:127.0.0.1', null);
  const accepted = Array.from({ length: MAX_REMOTE_CANDIDATES }, (_, i) => some.acceptRemoteCandidate(trickled(42_000 + i), '127.0.0.1'));
  assert.equal(accepted.filter(Boolean).length, MAX_REMOTE_CANDIDATES - 3);
  assert.equal(some.acceptRemoteCandidate('candidate:t 1 udp 1 192.0.2.1 9 typ host', '127.0.0.1'), false, 'another address, never');
});
