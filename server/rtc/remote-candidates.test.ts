import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateAddress, candidateAllowed, filterOfferCandidates, MAX_REMOTE_CANDIDATES } from './remote-candidates.ts';

const cand = (addr: string, port: number) => `a=candidate:1 1 udp 2122260223 ${addr} ${port} typ host generation 0`;

test('only candidates at the control lane\'s address survive, at most 8', () => {
  const lines = [cand('127.0.0.1', 5000), cand('10.0.0.9', 5001), cand('abcd.local', 5002), cand('203.0.113.7', 5003)];
  for (let i = 0; i < 20; i++) lines.push(cand('127.0.0.1', 6000 + i));
  const sdp = ['v=0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', ...lines, 'a=end-of-candidates', ''].join('\r\n');
  const out = filterOfferCandidates(sdp, '::ffff:127.0.0.1');
  assert.equal(out.kept, MAX_REMOTE_CANDIDATES);
  assert.equal(out.dropped, 24 - MAX_REMOTE_CANDIDATES);
  assert.ok(!out.sdp.includes('10.0.0.9') && !out.sdp.includes('.local') && !out.sdp.includes('203.0.113.7'));
  assert.ok(out.sdp.includes('m=application') && out.sdp.includes('a=end-of-candidates'), 'the rest of the SDP is untouched');
});

test('candidate addresses are parsed from SDP lines and trickled strings', () => {
  assert.equal(candidateAddress(cand('192.0.2.1', 1)), '192.0.2.1');
  assert.equal(candidateAddress('candidate:1 1 udp 1 2001:DB8::1 9 typ host'), '2001:db8::1');
  assert.equal(candidateAddress('garbage'), null);
});

test('an IPv6 candidate matches the peer whatever textual form either uses', () => {
  assert.equal(candidateAllowed('candidate:1 1 udp 1 2001:DB8:0:0::1 9 typ host', '2001:db8::1'), true);
  assert.equal(candidateAllowed('candidate:1 1 udp 1 2001:db8::1 9 typ host', '2001:0db8:0000::0001'), true);
  assert.equal(candidateAllowed('candidate:1 1 udp 1 2001:db8::2 9 typ host', '2001:db8::1'), false);
});
