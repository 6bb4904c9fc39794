/**
 * One relay shard: a VoiceRelay and the werift peer connections of the
 * sessions whose channels this shard serves, all on one thread. A datagram is
 * received (werift's UDP socket lives here), relayed and sent without leaving
 * it. The main thread pushes membership and signalling in (`handle`) and hears
 * about peers and answers through `post`; it never sees a datagram.
 *
 * The one exception is a whisper to a member of another shard: after this
 * relay's sender checks it is copied once into a transferable buffer and
 * posted to that shard over their link port, whose relay delivers it with the
 * receiving side's rules (VoiceRelay.deliverWhisper).
 */
import type { MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { dropSlot, RELAY_COUNTER_SLOTS, VoiceRelay } from '../relay/voice-relay.ts';
import { OVERLOAD_BUSY_UTILIZATION, OVERLOAD_QUEUE_SHARE, OVERLOAD_WINDOW_MS, RECEIVER_QUEUE_MS } from '../relay/relay-limits.ts';
import { VoicePeer, type PeerOptions } from '../rtc/voice-peer.ts';
import { keepRawWeriftKeys } from '../rtc/werift-patches.ts';
import { setBundleHold, setExpiredCounter, setHoldHistogram, setQueueAgeLimit } from '../rtc/voice-lane-sender.ts';
import { assertNever } from '../../shared/util/result.ts';
import { createLogger, type Logger } from '../util/log.ts';
import { ThreadDemand, threadCpuMs } from '../util/thread-demand.ts';
import { CPU_MS, CPU_WAIT_MS, HEARTBEAT, holdBuckets, OVERLOADED, shardBlock, WHISPERS_IN, WHISPERS_OUT } from './shard-counters.ts';
import type { FromShard, ShardInit, ToShard } from './shard-messages.ts';

interface PeerEntry {
  readonly peer: VoicePeer;
  readonly token: number;
}

export class RelayShard {
  readonly #index: number;
  readonly #relay: VoiceRelay;
  readonly #block: Float64Array;
  readonly #peerOptions: PeerOptions;
  readonly #post: (message: FromShard) => void;
  readonly #log: Logger;
  /** Every peer not closed yet, by the id the main thread gave it. */
  readonly #peers = new Map<number, PeerEntry>();
  /** The newest peer of each token: the one whose open lane is the member's sink. */
  readonly #current = new Map<number, VoicePeer>();
  /** token → shard, for whispers to members that are not here. */
  readonly #directory = new Map<number, number>();
  readonly #links = new Map<number, MessagePort>();
  readonly #busyTimer: NodeJS.Timeout;

  constructor(init: ShardInit, post: (message: FromShard) => void) {
    this.#index = init.index;
    this.#block = shardBlock(init.counters, init.index);
    this.#peerOptions = init.peer;
    // Benchmarks' stock werift: decided once for this thread, before any peer exists.
    if (init.peer.sendPath === 'stock') keepRawWeriftKeys();
    setBundleHold(init.bundleHoldMs);
    setHoldHistogram(holdBuckets(this.#block));
    setExpiredCounter(this.#block.subarray(dropSlot('expired'), dropSlot('expired') + 1));
    this.#post = post;
    this.#log = createLogger(`relay-shard-${init.index}`);
    this.#relay = new VoiceRelay({
      counters: this.#block.subarray(0, RELAY_COUNTER_SLOTS),
      forwardWhisper: (target, bytes) => this.#forwardWhisper(target, bytes),
    });
    // Overload mode needs to know whether this thread is the bottleneck (relay-limits.ts): its event loop
    // busy, or the thread wanting a CPU (running or waiting for one) most of the time — a throttled or
    // crowded-out thread waits in epoll and its loop reads as idle.
    let before = performance.eventLoopUtilization();
    const demand = new ThreadDemand();
    // The block outlives a thread: a restarted one counts on from what the dead one left.
    const block = this.#block;
    const cpuBase = block[CPU_MS]!;
    const waitBase = block[CPU_WAIT_MS]!;
    this.#busyTimer = setInterval(() => {
      // Alive: the main thread's watchdog ends a thread whose loop stopped turning (relay-shards.ts).
      block[HEARTBEAT]!++;
      const now = performance.eventLoopUtilization();
      const wanted = demand.sample();
      this.#relay.setBusy(performance.eventLoopUtilization(now, before).utilization >= OVERLOAD_BUSY_UTILIZATION || (wanted !== null && wanted >= OVERLOAD_BUSY_UTILIZATION));
      before = now;
      const overloaded = this.#relay.overloadedAt(performance.now());
      // A listener's queue may hold a quarter of its allowance in overload mode: its age limit follows.
      setQueueAgeLimit(overloaded ? RECEIVER_QUEUE_MS * OVERLOAD_QUEUE_SHARE : RECEIVER_QUEUE_MS);
      // For /api/stats (the admin panel's relay threads).
      block[CPU_MS] = cpuBase + (demand.ranMs ?? threadCpuMs() ?? Number.NaN);
      block[CPU_WAIT_MS] = waitBase + (demand.waitedMs ?? Number.NaN);
      block[OVERLOADED] = overloaded ? 1 : 0;
    }, OVERLOAD_WINDOW_MS);
    this.#busyTimer.unref();
  }

  handle(message: ToShard): void {
    switch (message.kind) {
      case 'member':
        this.#relay.setMember(message.token, message.state, performance.now());
        break;
      case 'remove':
        this.#relay.removeMember(message.token);
        break;
      case 'directory':
        if (message.reset) this.#directory.clear();
        for (const [token, shard] of message.entries) {
          if (shard < 0) this.#directory.delete(token);
          else this.#directory.set(token, shard);
        }
        break;
      case 'link':
        this.#link(message.shard, message.port);
        break;
      case 'peer':
        this.#createPeer(message.peer, message.token);
        break;
      case 'answer':
        void this.#answer(message);
        break;
      case 'candidate':
        void this.#candidate(message);
        break;
      case 'close-peer':
        this.#peers.get(message.peer)?.peer.close();
        break;
      case 'query':
        this.#post({
          kind: 'query',
          request: message.request,
          member: this.#relay.hasMember(message.token),
          peerOpen: this.#current.get(message.token)?.isOpen ?? false,
        });
        break;
      case 'close':
        this.close();
        this.#post({ kind: 'closed' });
        break;
      default:
        assertNever(message, 'shard message');
    }
  }

  /** Closes every peer and link (idempotent). */
  close(): void {
    clearInterval(this.#busyTimer);
    for (const { peer } of [...this.#peers.values()]) peer.close();
    for (const port of this.#links.values()) port.close();
    this.#links.clear();
  }

  #createPeer(id: number, token: number): void {
    const relay = this.#relay;
    let peer: VoicePeer;
    try {
      peer = new VoicePeer(
        this.#peerOptions,
        (bytes) => relay.receive(token, bytes, performance.now()),
        () => relay.countDrop('malformed'),
      );
    } catch (error) {
      // This session's offer fails (its answer finds no peer); the shard and its other sessions carry on.
      this.#log.error('werift could not create a peer connection', { token, error });
      this.#post({ kind: 'peer-closed', peer: id });
      return;
    }
    this.#peers.set(id, { peer, token });
    // The main thread closes a session's previous peer before it asks for a new one.
    this.#current.set(token, peer);
    // Bound here, at once, not after a round trip through the main thread: the client may talk as soon as its lane opens.
    peer.on('open', () => {
      if (this.#current.get(token) === peer) relay.setSink(token, peer);
      this.#post({ kind: 'peer-open', peer: id });
    });
    peer.on('closed', () => {
      this.#peers.delete(id);
      if (this.#current.get(token) === peer) {
        this.#current.delete(token);
        relay.setSink(token, null);
      }
      this.#post({ kind: 'peer-closed', peer: id });
    });
  }

  async #answer(message: Extract<ToShard, { kind: 'answer' }>): Promise<void> {
    const entry = this.#peers.get(message.peer);
    if (!entry) {
      this.#post({ kind: 'failed', peer: message.peer, request: message.request, message: 'the peer connection was closed' });
      return;
    }
    try {
      const { sdp, dropped } = await entry.peer.answer(message.sdp, message.peerAddress, this.#peerOptions.announcedAddress);
      this.#post({ kind: 'answered', peer: message.peer, request: message.request, sdp, dropped });
    } catch (error) {
      this.#post({ kind: 'failed', peer: message.peer, request: message.request, message: (error as Error).message });
    }
  }

  async #candidate(message: Extract<ToShard, { kind: 'candidate' }>): Promise<void> {
    const done = (): void => this.#post({ kind: 'done', peer: message.peer, request: message.request });
    const entry = this.#peers.get(message.peer);
    const c = message.candidate;
    // The cap on remote candidates is the peer's own count (offer and trickle together), so it is checked here.
    if (!entry || (c.candidate !== '' && !entry.peer.acceptRemoteCandidate(c.candidate, message.peerAddress))) {
      done();
      return;
    }
    try {
      await entry.peer.addRemoteCandidate(c);
      done();
    } catch (error) {
      this.#post({ kind: 'failed', peer: message.peer, request: message.request, message: (error as Error).message });
    }
  }

  #link(shard: number, port: MessagePort): void {
    this.#links.get(shard)?.close();
    this.#links.set(shard, port);
    port.on('message', (bytes: Uint8Array) => {
      this.#block[WHISPERS_IN]!++;
      // A Buffer over the transferred memory, no copy: werift sends a Buffer as it is.
      this.#relay.deliverWhisper(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), performance.now());
    });
    // The other shard's thread died: until the main thread links its successor, whispers to its members are
    // dropped here and counted (no-target), not posted into a closed port where nobody would count them.
    port.once('close', () => {
      if (this.#links.get(shard) === port) this.#links.delete(shard);
    });
  }

  /** VoiceRelay's forwardWhisper: hands a whisper to the shard its target is on. */
  #forwardWhisper(target: number, bytes: Uint8Array): boolean {
    const shard = this.#directory.get(target);
    if (shard === undefined || shard === this.#index) return false;
    const port = this.#links.get(shard);
    if (!port) return false;
    // The one copy a datagram costs on its way: its own ArrayBuffer, exactly its bytes (werift's
    // Buffer may be a view into a larger one), moved to the other thread without a second copy.
    const copy = new Uint8Array(bytes);
    try {
      port.postMessage(copy, [copy.buffer]);
    } catch (error) {
      this.#log.warn('a whisper could not be handed to its shard', { shard, error });
      return false;
    }
    this.#block[WHISPERS_OUT]!++;
    return true;
  }
}
