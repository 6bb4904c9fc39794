/**
 * The main thread's handle on a session's peer connection, which lives in a
 * relay shard (relay-shard.ts creates the werift VoicePeer there). It mirrors
 * the part of VoicePeer's surface the control side uses: `answer`,
 * `addRemoteCandidate`, `isOpen`, `close()` and the `open`/`closed` events.
 * Requests go to the shard as messages and settle on its reply; closing the
 * handle rejects an answer still pending (a candidate still pending is
 * dropped, as VoicePeer drops candidates for a closed peer).
 */
import { TypedEmitter } from '../../shared/util/typed-emitter.ts';
import type { PeerEvents, RemoteCandidate } from '../rtc/voice-peer.ts';
import type { FromShard, ToShard } from './shard-messages.ts';

type Reply = Extract<FromShard, { kind: 'answered' | 'done' | 'failed' }>;

interface Pending {
  readonly kind: 'answer' | 'candidate';
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

export class RemotePeer extends TypedEmitter<PeerEvents> {
  /** Unique across all shards for the life of the process. */
  readonly id: number;
  readonly token: number;
  /** The shard whose thread holds the real peer. */
  readonly shard: number;
  /** Posts to that shard; false when its thread is gone (it is being restarted). */
  readonly #post: (message: ToShard) => boolean;
  readonly #pending = new Map<number, Pending>();
  #nextRequest = 1;
  #open = false;
  #closed = false;

  constructor(id: number, token: number, shard: number, post: (message: ToShard) => boolean) {
    super();
    this.id = id;
    this.token = token;
    this.shard = shard;
    this.#post = post;
  }

  /**
   * Applies the client's offer in the shard (candidates held to `peerAddress`,
   * server/rtc/remote-candidates.ts) and returns the answer SDP and how many
   * offered candidates were dropped. Rejects with werift's reason, or when the
   * peer is closed first.
   */
  async answer(offerSdp: string, peerAddress: string): Promise<{ sdp: string; dropped: number }> {
    const reply = await this.#request('answer', (request) => ({ kind: 'answer', peer: this.id, request, sdp: offerSdp, peerAddress }));
    if (reply.kind !== 'answered') throw new Error(reply.kind === 'failed' ? reply.message : 'the peer connection was closed');
    return { sdp: reply.sdp, dropped: reply.dropped };
  }

  /**
   * A trickled candidate. The shard checks it against `peerAddress` and the
   * peer's cap (VoicePeer.acceptRemoteCandidate, which counts the offer's
   * candidates too) and ignores it if refused; `""` (end of candidates) and a
   * closed peer are ignored. Rejects only when werift refuses the candidate.
   */
  async addRemoteCandidate(candidate: RemoteCandidate, peerAddress: string): Promise<void> {
    if (this.#closed || candidate.candidate === '') return;
    const reply = await this.#request('candidate', (request) => ({ kind: 'candidate', peer: this.id, request, candidate, peerAddress }));
    if (reply.kind === 'failed') throw new Error(reply.message);
  }

  /** The voice lane is open (as the shard last said) and the handle not closed. */
  get isOpen(): boolean {
    return this.#open && !this.#closed;
  }

  /** Idempotent; closes the real peer in the shard and emits `closed` once. */
  close(): void {
    if (this.#closed) return;
    this.#post({ kind: 'close-peer', peer: this.id });
    this.#finish();
  }

  // ---- from RelayShards --------------------------------------------------------

  handleOpen(): void {
    if (this.#closed || this.#open) return;
    this.#open = true;
    this.safeEmit('open');
  }

  /** The shard closed the peer (werift failed or closed it, or the shard's thread is gone). */
  handleClosed(): void {
    if (!this.#closed) this.#finish();
  }

  handleReply(reply: Reply): void {
    const pending = this.#pending.get(reply.request);
    if (!pending) return;
    this.#pending.delete(reply.request);
    pending.resolve(reply);
  }

  #request(kind: Pending['kind'], make: (request: number) => ToShard): Promise<Reply> {
    if (this.#closed) return Promise.reject(new Error('the peer connection was closed'));
    const request = this.#nextRequest++;
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(request, { kind, resolve, reject });
      if (!this.#post(make(request))) {
        this.#pending.delete(request);
        reject(new Error('the relay thread is restarting'));
      }
    });
  }

  #finish(): void {
    this.#closed = true;
    this.#open = false;
    for (const [request, p] of this.#pending) {
      if (p.kind === 'answer') p.reject(new Error('the peer connection was closed'));
      else p.resolve({ kind: 'done', peer: this.id, request });
    }
    this.#pending.clear();
    this.safeEmit('closed');
  }
}
