/**
 * One werift peer connection per session, carrying the voice lane: a DataChannel
 * negotiated out of band (id 0, unordered, maxRetransmits 0) on both sides, since
 * werift announces a channel it opens itself as ordered. The client offers; the
 * peer answers with all its host candidates in the SDP and runs full ICE.
 */
import { RTCPeerConnection, type RTCDataChannel } from 'werift';
import { TypedEmitter } from '../../shared/util/typed-emitter.ts';
import { VOICE_CHANNEL_INIT, VOICE_CHANNEL_LABEL } from '../../shared/voice/constants.ts';
import type { VoiceSink } from '../relay/voice-relay.ts';
import { patchWeriftDtls, patchWeriftSctp } from './werift-patches.ts';
import { VoiceLaneSender } from './voice-lane-sender.ts';
import { VoiceLaneReceiver } from './voice-lane-receiver.ts';
import { DtlsRecordCodec } from './dtls-record-codec.ts';
import { weriftTransports } from './werift-internals.ts';
import { announceAddress } from './sdp-candidates.ts';
import { MAX_REMOTE_CANDIDATES, candidateAllowed, filterOfferCandidates } from './remote-candidates.ts';
import type { DtlsKeys } from './dtls-identity.ts';
import { createLogger } from '../util/log.ts';

const log = createLogger('rtc');

patchWeriftDtls();

export interface PeerOptions {
  portRange: readonly [number, number] | null;
  extraHostAddresses: readonly string[];
  announcedAddress: string | null;
  /** The server's persistent DTLS identity (dtls-identity.ts). */
  dtlsKeys: DtlsKeys | null;
  /**
   * 'fast' (the default): datagrams leave through VoiceLaneSender (synchronous,
   * bundled per event-loop turn) and arrive through VoiceLaneReceiver. 'stock':
   * werift's own DataChannel send and receive paths, for benchmarks that
   * compare the two.
   */
  sendPath?: 'fast' | 'stock';
}

export type PeerEvents = {
  /** The voice lane opened. */
  open: [];
  /** The connection failed or closed; the peer is finished. */
  closed: [];
};

export interface RemoteCandidate {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}

export class VoicePeer extends TypedEmitter<PeerEvents> implements VoiceSink {
  readonly #pc: RTCPeerConnection;
  readonly #dc: RTCDataChannel;
  readonly #onDatagram: (bytes: Uint8Array) => void;
  readonly #onTextFrame: () => void;
  readonly #sendPath: 'fast' | 'stock';
  /** Set once the lane is open (fast path only). */
  #lane: VoiceLaneSender | null = null;
  #receiver: VoiceLaneReceiver | null = null;
  #closed = false;

  /**
   * @param onDatagram called with every binary message from the client (hot path).
   * @param onTextFrame called for a text message, which the voice lane does not carry.
   */
  constructor(options: PeerOptions, onDatagram: (bytes: Uint8Array) => void, onTextFrame: () => void) {
    super();
    this.#onDatagram = onDatagram;
    this.#onTextFrame = onTextFrame;
    this.#sendPath = options.sendPath ?? 'fast';
    this.#pc = new RTCPeerConnection({
      iceLite: false, // werift's ICE-lite path leaves ~4 % of DTLS handshakes stuck on loopback (measured); full ICE: 0 in 150
      iceServers: [],
      iceUseIpv6: true,
      ...(options.dtlsKeys ? { dtls: { keys: options.dtlsKeys as never } } : {}),
      ...(options.portRange ? { icePortRange: [options.portRange[0], options.portRange[1]] as [number, number] } : {}),
      ...(options.extraHostAddresses.length > 0 ? { iceAdditionalHostAddresses: [...options.extraHostAddresses] } : {}),
    });
    this.#dc = this.#pc.createDataChannel(VOICE_CHANNEL_LABEL, { ...VOICE_CHANNEL_INIT });
    this.#dc.onMessage.subscribe((msg: Buffer | string) => {
      if (typeof msg === 'string') this.#onTextFrame();
      else this.#onDatagram(msg);
    });
    this.#dc.stateChanged.subscribe((state) => {
      if (state !== 'open') return;
      if (this.#sendPath === 'fast' && this.#lane === null) {
        try {
          const t = weriftTransports(this.#pc);
          const codec = new DtlsRecordCodec(t.dtls);
          this.#lane = new VoiceLaneSender(t, this.#dc, codec);
          this.#receiver = new VoiceLaneReceiver(t, this.#dc, codec, this.#lane, this.#onDatagram, this.#onTextFrame);
        } catch (error) {
          log.error('the fast voice lane could not attach (both ways); using werift\'s paths', { error });
        }
      }
      this.safeEmit('open');
    });
    this.#pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed' || state === 'closed') this.close();
    });
  }

  /**
   * Applies the client's offer, keeping only the candidates at `peerAddress`
   * (remote-candidates.ts), and returns the answer SDP (candidates included)
   * and how many offered candidates were dropped.
   */
  async answer(offerSdp: string, peerAddress: string, announcedAddress: string | null): Promise<{ sdp: string; dropped: number }> {
    if (!/^m=application \d+ [A-Z/]*SCTP/m.test(offerSdp)) throw new Error('the offer has no data channel (m=application … SCTP) section');
    const offer = filterOfferCandidates(offerSdp, peerAddress, MAX_REMOTE_CANDIDATES - this.#remoteCandidates);
    this.#remoteCandidates += offer.kept;
    await this.#pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    const sctp = (this.#pc.sctpTransport as unknown as { sctp?: object } | undefined)?.sctp;
    if (!sctp) throw new Error('werift created no SCTP transport for the offer');
    patchWeriftSctp(sctp);
    await this.#pc.setLocalDescription(await this.#pc.createAnswer());
    const sdp = this.#pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift produced no local description');
    return { sdp: announcedAddress ? announceAddress(sdp, announcedAddress) : sdp, dropped: offer.dropped };
  }

  /** Remote candidates let through so far, the offer's and the trickled ones together: at most MAX_REMOTE_CANDIDATES. */
  #remoteCandidates = 0;

  /** Whether a trickled candidate may be checked: at the client's address and within the cap. */
  acceptRemoteCandidate(candidate: string, peerAddress: string): boolean {
    if (this.#remoteCandidates >= MAX_REMOTE_CANDIDATES || !candidateAllowed(candidate, peerAddress)) return false;
    this.#remoteCandidates++;
    return true;
  }

  async addRemoteCandidate(c: RemoteCandidate): Promise<void> {
    if (this.#closed || c.candidate === '') return;
    await this.#pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined });
  }

  get isOpen(): boolean {
    return !this.#closed && this.#dc.readyState === 'open';
  }

  /** The fast send path, once the lane is open (null on the stock path); exposed for tests and stats. */
  get lane(): VoiceLaneSender | null {
    return this.#lane;
  }

  /** The fast receive path, once the lane is open (null on the stock path); exposed for tests and stats. */
  get receiver(): VoiceLaneReceiver | null {
    return this.#receiver;
  }

  send(bytes: Uint8Array): void {
    if (!this.isOpen) return; // the relay only holds open sinks; this covers the instant of teardown
    if (this.#lane !== null && this.#lane.send(bytes)) return;
    try {
      this.#dc.send(bytes as Buffer);
    } catch {
      // werift throws synchronously only for an oversize message or a torn-down association:
      // the datagram is lost for this receiver, as on the wire.
    }
  }

  queuedBytes(): number {
    return this.#lane === null ? this.#dc.bufferedAmount : this.#lane.queuedBytes + this.#dc.bufferedAmount;
  }

  /** Idempotent; emits `closed` once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lane?.close();
    this.#receiver?.close();
    this.#pc.close().catch((error: unknown) => log.warn('peer close failed', { error }));
    this.safeEmit('closed');
  }
}
