/**
 * The server runs full ICE, so it sends connectivity checks to every candidate
 * a client names. Unfiltered, that lets any client make the server send STUN to
 * addresses of its choosing (reflection, scanning) or mDNS queries on the
 * server's LAN. Only candidates at the address the client's control lane comes
 * from are kept, at most MAX_REMOTE_CANDIDATES of them per peer connection,
 * offered and trickled together (VoicePeer counts); every other path is found
 * from the client's own checks (peer-reflexive candidates).
 */
import { canonicalAddress } from '../bans/ip-range.ts';

export const MAX_REMOTE_CANDIDATES = 8;

/** The connection address of an `a=candidate:` line or a trickled candidate string, or null. */
export function candidateAddress(candidate: string): string | null {
  const m = /^(?:a=)?candidate:\S+ \d+ \S+ \d+ (\S+) \d+ typ /i.exec(candidate.trim());
  return m ? canonicalAddress(m[1]!) : null;
}

/** Whether `candidate` is at `peerAddress` (either may be in any textual form). */
export function candidateAllowed(candidate: string, peerAddress: string): boolean {
  return candidateAddress(candidate) === canonicalAddress(peerAddress);
}

/**
 * Removes candidates the server must not check (see above) from an offer SDP,
 * keeping at most `max` of those at `peerAddress`.
 */
export function filterOfferCandidates(sdp: string, peerAddress: string, max = MAX_REMOTE_CANDIDATES): { sdp: string; kept: number; dropped: number } {
  const peer = canonicalAddress(peerAddress); // once, not per candidate line
  let kept = 0;
  let dropped = 0;
  const lines = sdp.split('\r\n').filter((line) => {
    if (!line.startsWith('a=candidate:')) return true;
    if (kept < max && candidateAddress(line) === peer) {
      kept++;
      return true;
    }
    dropped++;
    return false;
  });
  return { sdp: lines.join('\r\n'), kept, dropped };
}
