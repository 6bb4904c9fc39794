/**
 * The voice relay, sharded over worker threads: what SessionManager pushes
 * membership into instead of a VoiceRelay. Each shard (relay-shard.ts in its
 * own Worker) runs a VoiceRelay and the werift peers of the sessions whose
 * channels it serves; ShardPlacement decides which channel goes where.
 *
 * Main-thread state here is a mirror — members and their states, placement,
 * the peer handles — and it is the source of truth a restarted shard is
 * rebuilt from: a push to a shard whose thread is gone is simply dropped, and
 * the new thread gets everything again. Counters live in a SharedArrayBuffer
 * the shards write (shard-counters.ts), so reading them here is synchronous
 * and exact.
 *
 * A thread that dies is started again; so is one that hangs. Each shard counts
 * a heartbeat in that buffer every OVERLOAD_WINDOW_MS from its event loop, and
 * a watchdog here ends the thread of a ready shard whose heartbeat stood still
 * for `stallMs` (default SHARD_STALL_MS) — a loop that stopped turning serves
 * nobody, and its sessions would otherwise sit on a dead voice lane for good —
 * and of a restarted shard not ready within `stallMs`. A watchdog check that
 * itself comes late (the whole process was stopped or starved: a suspend, a
 * debugger) judges nobody that round. Worker.terminate() stops JavaScript: a
 * thread stuck inside a native call is not ended by it (the watchdog then
 * logs it again every `stallMs`).
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { TypedEmitter } from '../../shared/util/typed-emitter.ts';
import { RELAY_COUNTER_SLOTS, type MemberState, type RelayCounters } from '../relay/voice-relay.ts';
import { OVERLOAD_WINDOW_MS } from '../relay/relay-limits.ts';
import type { PeerOptions } from '../rtc/voice-peer.ts';
import { createLogger, type LogLevel } from '../util/log.ts';
import { ShardPlacement, portSlice } from './placement.ts';
import { RemotePeer } from './remote-peer.ts';
import { CPU_MS, CPU_WAIT_MS, createShardCounters, HEARTBEAT, OVERLOADED, shardBlock, sumRelayCounters, sumRelayHold, UNHANDLED_REJECTIONS, WHISPERS_IN, WHISPERS_OUT, type RelayHold } from './shard-counters.ts';
import type { FromShard, ShardInit, ShardPreload, ToShard } from './shard-messages.ts';

const log = createLogger('relay-shards');

/** The worker's entry: shard-worker.ts from the sources, shard-worker.js in a release (compiled beside this file). */
const WORKER_URL = new URL(`./shard-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** How long close() waits for a shard to close its peers before it terminates the thread anyway. */
const CLOSE_TIMEOUT_MS = 2000;
/** A shard that dies before it ever came up is started again after this long, not in a tight loop. */
const FAILED_START_BACKOFF_MS = 1000;
/** A ready shard whose heartbeat stands still this long is ended and started again (its loop hangs). */
export const SHARD_STALL_MS = 10_000;

export interface RelayShardsOptions {
  /** How many shards (worker threads). */
  threads: number;
  /** Peer options for every shard; a UDP port range is split between the shards. */
  peer: PeerOptions;
  logLevel: LogLevel;
  /** VOICE_RELAY_BUNDLE_MS: how long each shard's sends may wait for company (set once per thread). */
  bundleHoldMs?: number;
  /** Tests only: a module every shard's thread imports before it takes messages (see ShardPreload). */
  preload?: ShardPreload | null;
  /** How long a ready shard's heartbeat may stand still before its thread is ended (default SHARD_STALL_MS; tests shorten it). */
  stallMs?: number;
  /** Tests only: the watchdog's clock in ms (default performance.now), to stand for a process that was stopped. */
  watchdogClock?: () => number;
}

export type RelayShardsEvents = {
  /**
   * Shard `index`'s thread died and a new one took over; the peers it held
   * are closed (their handles emitted `closed`), its members are pushed again,
   * and `tokens` — the sessions it serves — need new peer connections.
   */
  'shard-restarted': [index: number, tokens: number[]];
};

/** One shard in /api/stats. */
export interface ShardStats {
  index: number;
  /** Relay members (sessions) it serves now. */
  members: number;
  /** Channels with members it serves now. */
  channels: number;
  /** Peer connections it holds now (not yet closed). */
  peers: number;
  datagramsIn: number;
  forwarded: number;
  /** Drops of every reason. */
  drops: number;
  /** Whispers it handed to another shard, and took from one. */
  whispersOut: number;
  whispersIn: number;
  /** Times its thread died and was started again. */
  restarts: number;
  /** CPU time its threads used since the server started, ms; null where the platform cannot tell. */
  cpuMs: number | null;
  /** Time its threads were runnable but waited for a CPU (other work on the core, a CPU limit), ms; null off Linux. */
  cpuWaitMs: number | null;
  /** Whether its relay is in overload mode now (sheds late frames sooner; docs/architecture.md §5.1). */
  overloaded: boolean;
}

interface Shard {
  readonly index: number;
  /** null between a failed start and its retry. */
  worker: Worker | null;
  /** The current thread said `ready`. */
  ready: boolean;
  restarts: number;
  /** Settles when the current thread exits. */
  exited: Promise<void>;
  /** Resolves when the current thread answers `close`. */
  onClosed: (() => void) | null;
  /** The heartbeat the watchdog last saw, and when (the watchdog's clock) it last moved, or the thread was started or became ready. */
  beat: number;
  beatAt: number;
}

export class RelayShards extends TypedEmitter<RelayShardsEvents> {
  readonly #options: RelayShardsOptions;
  readonly #placement: ShardPlacement;
  readonly #states = new Map<number, MemberState>();
  readonly #counters: SharedArrayBuffer;
  readonly #blocks: Float64Array[];
  readonly #shards: Shard[];
  readonly #peers = new Map<number, RemotePeer>();
  readonly #queries = new Map<number, { shard: number; resolve: (r: { member: boolean; peerOpen: boolean }) => void; reject: (e: Error) => void }>();
  #nextPeer = 1;
  #nextQuery = 1;
  #started = false;
  /** start() has finished: from now on a shard that exits is restarted (before, start() fails instead). */
  #running = false;
  #closing: Promise<void> | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #lastCheckAt = 0;
  readonly #clock: () => number;
  /** How long a heartbeat may stand still (options.stallMs or SHARD_STALL_MS), and the watchdog's period: four rounds per limit, at least one a second. */
  readonly #stallMs: number;
  readonly #checkEveryMs: number;

  /** Nothing runs until start(); pushes before it only fill the mirror, which start() sends on. */
  constructor(options: RelayShardsOptions) {
    super();
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new TypeError(`threads must be a positive integer, got ${options.threads}`);
    const stallMs = options.stallMs ?? SHARD_STALL_MS;
    // Four heartbeats at least: a shorter limit than that would end healthy shards.
    if (!Number.isFinite(stallMs) || stallMs < 4 * OVERLOAD_WINDOW_MS) throw new TypeError(`stallMs must be at least ${4 * OVERLOAD_WINDOW_MS}, got ${stallMs}`);
    const range = options.peer.portRange;
    if (range && range[1] - range[0] + 1 < options.threads) throw new TypeError(`the UDP port range ${range[0]}–${range[1]} has fewer ports than relay threads (${options.threads})`);
    this.#options = options;
    this.#stallMs = stallMs;
    this.#checkEveryMs = Math.min(1000, stallMs / 4);
    this.#clock = options.watchdogClock ?? (() => performance.now());
    this.#placement = new ShardPlacement(options.threads);
    this.#counters = createShardCounters(options.threads);
    this.#blocks = Array.from({ length: options.threads }, (_, i) => shardBlock(this.#counters, i));
    this.#shards = Array.from({ length: options.threads }, (_, index) => ({
      index,
      worker: null,
      ready: false,
      restarts: 0,
      exited: Promise.resolve(),
      onClosed: null,
      beat: 0,
      beatAt: 0,
    }));
  }

  get threads(): number {
    return this.#shards.length;
  }

  /** Shards whose thread is running now (has not exited). */
  get runningThreads(): number {
    return this.#shards.filter((s) => s.worker !== null).length;
  }

  /** Starts every shard's thread and waits until each is ready; rejects (and stops them) if one fails to start. */
  async start(): Promise<void> {
    if (this.#started) throw new Error('the relay shards are started already');
    this.#started = true;
    const ready = this.#shards.map((s) => this.#spawn(s));
    try {
      await Promise.all(ready);
      const dead = this.#shards.find((s) => !s.worker);
      if (dead) throw new Error(`relay shard ${dead.index} exited during start-up`);
    } catch (error) {
      await this.close();
      throw error;
    }
    for (let i = 0; i < this.#shards.length; i++) for (let j = i + 1; j < this.#shards.length; j++) this.#link(i, j);
    this.#running = true;
    if (this.#closing) return;
    this.#lastCheckAt = this.#clock();
    this.#watchdog = setInterval(() => this.#check(), this.#checkEveryMs);
    this.#watchdog.unref();
  }

  // ---- membership (SessionManager pushes) ------------------------------------------

  /**
   * Adds a member or updates its channel and state. Returns true when the
   * member had to change shards (its channel is served elsewhere): it has
   * left the old shard's relay, and its peer connection there must be
   * replaced by one on the new shard (the caller closes it and asks the
   * client for a new offer).
   */
  setMember(token: number, state: MemberState): boolean {
    const from = this.#placement.shardOf(token);
    const shard = this.#placement.place(token, state.channelId);
    this.#states.set(token, state);
    const moved = from !== null && from !== shard;
    if (moved) this.#post(from, { kind: 'remove', token });
    this.#post(shard, { kind: 'member', token, state });
    if (from !== shard) this.#broadcast({ kind: 'directory', entries: [[token, shard]], reset: false });
    return moved;
  }

  removeMember(token: number): void {
    const shard = this.#placement.remove(token);
    this.#states.delete(token);
    if (shard === null) return;
    this.#post(shard, { kind: 'remove', token });
    this.#broadcast({ kind: 'directory', entries: [[token, -1]], reset: false });
  }

  hasMember(token: number): boolean {
    return this.#placement.has(token);
  }

  /** Members of a channel, by token (from the main thread's mirror; allocates). */
  channelTokens(channelId: number): number[] {
    return this.#placement.channelTokens(channelId);
  }

  shardOf(token: number): number | null {
    return this.#placement.shardOf(token);
  }

  shardOfChannel(channelId: number): number | null {
    return this.#placement.shardOfChannel(channelId);
  }

  // ---- peers ---------------------------------------------------------------------

  /** A new peer connection for `token`, in the shard that serves its channel; it becomes the token's current peer there. */
  createPeer(token: number): RemotePeer {
    const shard = this.#placement.shardOf(token);
    if (shard === null) throw new Error(`session ${token} is not a relay member`);
    const peer = new RemotePeer(this.#nextPeer++, token, shard, (message) => this.#post(shard, message));
    this.#peers.set(peer.id, peer);
    peer.once('closed', () => this.#peers.delete(peer.id));
    this.#post(shard, { kind: 'peer', peer: peer.id, token });
    return peer;
  }

  // ---- figures -------------------------------------------------------------------

  /** Every shard's relay counters added up (a fresh object per read). */
  get counters(): RelayCounters {
    return sumRelayCounters(this.#blocks.map((b) => b.subarray(0, RELAY_COUNTER_SLOTS)));
  }

  /** How long the shards' voice lanes held the datagrams they sent (a fresh object per read). */
  get hold(): RelayHold {
    return sumRelayHold(this.#blocks);
  }

  /** Rejections contained inside the shards' threads. */
  get unhandledRejections(): number {
    return this.#blocks.reduce((n, b) => n + b[UNHANDLED_REJECTIONS]!, 0);
  }

  shardStats(): ShardStats[] {
    const peers = new Array<number>(this.#shards.length).fill(0);
    for (const p of this.#peers.values()) peers[p.shard]!++;
    return this.#shards.map((s, index) => {
      const block = this.#blocks[index]!;
      const c = sumRelayCounters([block.subarray(0, RELAY_COUNTER_SLOTS)]);
      return {
        index,
        members: this.#placement.load(index),
        channels: this.#placement.channelsOn(index),
        peers: peers[index]!,
        datagramsIn: c.datagramsIn,
        forwarded: c.forwarded,
        drops: Object.values(c.drops).reduce((a, b) => a + b, 0),
        whispersOut: block[WHISPERS_OUT]!,
        whispersIn: block[WHISPERS_IN]!,
        restarts: s.restarts,
        cpuMs: finiteOrNull(block[CPU_MS]!),
        cpuWaitMs: finiteOrNull(block[CPU_WAIT_MS]!),
        overloaded: block[OVERLOADED] === 1,
      };
    });
  }

  /** What shard `index`'s own relay knows of `token` (tests and diagnostics: the thread is asked, not the mirror). */
  query(index: number, token: number): Promise<{ member: boolean; peerOpen: boolean }> {
    const request = this.#nextQuery++;
    return new Promise((resolve, reject) => {
      this.#queries.set(request, { shard: index, resolve, reject });
      if (!this.#post(index, { kind: 'query', request, token })) {
        this.#queries.delete(request);
        reject(new Error(`relay shard ${index} is not running`));
      }
    });
  }

  /** Test hook: ends shard `index`'s thread as a crash would; the shard is restarted as after one. */
  async terminateShard(index: number): Promise<void> {
    const worker = this.#shards[index]?.worker;
    if (!worker) throw new Error(`relay shard ${index} is not running`);
    await worker.terminate();
  }

  // ---- life cycle ------------------------------------------------------------------

  /** Closes every shard's peers and ends its thread (idempotent). Call after the sessions have ended. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#watchdog) clearInterval(this.#watchdog);
      await Promise.all(
        this.#shards.map(async (s) => {
          const worker = s.worker;
          if (!worker) return;
          if (s.ready) {
            const closed = new Promise<void>((resolve) => (s.onClosed = resolve));
            worker.postMessage({ kind: 'close' } satisfies ToShard);
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([closed, s.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
            clearTimeout(timer);
          }
          await worker.terminate();
          await s.exited;
        }),
      );
      for (const p of [...this.#peers.values()]) p.handleClosed();
      for (const q of this.#queries.values()) q.reject(new Error('the relay is closed'));
      this.#queries.clear();
    })();
    return this.#closing;
  }

  // ---- internals -------------------------------------------------------------------

  /** Starts a thread for `s`; resolves when it is ready, rejects if it dies first. */
  #spawn(s: Shard): Promise<void> {
    const range = this.#options.peer.portRange;
    const init: ShardInit = {
      index: s.index,
      counters: this.#counters,
      peer: { ...this.#options.peer, portRange: range ? portSlice(range, s.index, this.#shards.length) : null },
      logLevel: this.#options.logLevel,
      bundleHoldMs: this.#options.bundleHoldMs ?? 0,
      preload: this.#options.preload ?? null,
    };
    const worker = new Worker(WORKER_URL, { workerData: init, name: `relay-shard-${s.index}` });
    s.worker = worker;
    s.ready = false;
    s.beatAt = this.#clock(); // a new thread has stallMs to become ready (watchdog)
    let settle: { resolve: () => void; reject: (e: Error) => void } | null = null;
    const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    let lastError: unknown = null;
    s.exited = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        resolve();
        if (!s.ready) settle?.reject(new Error(`relay shard ${s.index} failed to start (exit ${code}): ${(lastError as Error | null)?.message ?? 'no error reported'}`));
        this.#onExit(s, worker, code);
      });
    });
    worker.on('error', (error) => {
      lastError = error;
      log.error('relay shard thread failed', { shard: s.index, error });
    });
    worker.on('message', (message: FromShard) => {
      if (s.worker !== worker) return;
      if (message.kind === 'ready') {
        s.ready = true;
        s.beat = this.#blocks[s.index]![HEARTBEAT]!;
        s.beatAt = this.#clock();
        settle?.resolve();
        return;
      }
      this.#onMessage(s, message);
    });
    // Whatever the thread must hold, in order: queued until it runs.
    for (const token of this.#placement.tokensOn(s.index)) {
      const state = this.#states.get(token);
      if (state) worker.postMessage({ kind: 'member', token, state } satisfies ToShard);
    }
    worker.postMessage({ kind: 'directory', entries: this.#placement.entries(), reset: true } satisfies ToShard);
    return ready;
  }

  #onMessage(s: Shard, message: Exclude<FromShard, { kind: 'ready' }>): void {
    switch (message.kind) {
      case 'peer-open':
        this.#peers.get(message.peer)?.handleOpen();
        break;
      case 'peer-closed':
        this.#peers.get(message.peer)?.handleClosed();
        break;
      case 'answered':
      case 'done':
      case 'failed':
        this.#peers.get(message.peer)?.handleReply(message);
        break;
      case 'query': {
        const q = this.#queries.get(message.request);
        this.#queries.delete(message.request);
        q?.resolve({ member: message.member, peerOpen: message.peerOpen });
        break;
      }
      case 'closed':
        s.onClosed?.();
        s.onClosed = null;
        break;
      default: {
        const never: never = message;
        log.error('unknown message from a relay shard', { shard: s.index, message: never });
      }
    }
  }

  #onExit(s: Shard, worker: Worker, code: number): void {
    if (s.worker !== worker) return;
    s.worker = null;
    const wasReady = s.ready;
    s.ready = false;
    for (const [request, q] of this.#queries) {
      if (q.shard !== s.index) continue;
      this.#queries.delete(request);
      q.reject(new Error(`relay shard ${s.index} exited`));
    }
    if (this.#closing || !this.#running) return;
    s.restarts++;
    log.error('relay shard exited; starting a new thread for it', { shard: s.index, code, restarts: s.restarts });
    // The dead thread's peers went with it (their UDP sockets closed with the thread).
    for (const p of [...this.#peers.values()]) if (p.shard === s.index) p.handleClosed();
    const restart = (): void => {
      if (this.#closing) return;
      this.#spawn(s).then(
        () => log.info('relay shard running again', { shard: s.index }),
        // The exit that ended it comes through here again and retries after the back-off.
        (error: unknown) => log.warn('a new relay shard thread failed to start', { shard: s.index, error }),
      );
      for (let j = 0; j < this.#shards.length; j++) if (j !== s.index && this.#shards[j]!.worker) this.#link(s.index, j);
      // Its sessions offer again now: the new thread takes their offers as soon as it runs (messages wait for it).
      this.safeEmit('shard-restarted', s.index, this.#placement.tokensOn(s.index));
    };
    if (wasReady) restart();
    else setTimeout(restart, FAILED_START_BACKOFF_MS).unref();
  }

  /**
   * The watchdog's round: ends the thread of every ready shard whose heartbeat
   * stood still for `stallMs`, and of every restarted one that has not become
   * ready within `stallMs` of its start (the exit path starts it again after
   * the back-off). start() itself waits for readiness, so the first threads are not judged here.
   */
  #check(): void {
    const stallMs = this.#stallMs;
    const now = this.#clock();
    const late = now - this.#lastCheckAt > 2 * this.#checkEveryMs;
    this.#lastCheckAt = now;
    for (const s of this.#shards) {
      const beat = this.#blocks[s.index]![HEARTBEAT]!;
      // This round came late, so the whole process was held up: nobody is judged by it.
      if (beat !== s.beat || late) {
        s.beat = beat;
        s.beatAt = now;
        continue;
      }
      if (!s.worker || now - s.beatAt < stallMs) continue;
      if (s.ready) log.error('relay shard stopped turning its event loop; ending its thread', { shard: s.index, stalledMs: Math.round(now - s.beatAt) });
      else log.error('a restarted relay shard did not become ready; ending its thread', { shard: s.index, afterMs: Math.round(now - s.beatAt) });
      s.beatAt = now; // once: the exit restarts it
      void s.worker.terminate();
    }
  }

  /** A whisper port between shards i and j. */
  #link(i: number, j: number): void {
    const a = this.#shards[i]!.worker;
    const b = this.#shards[j]!.worker;
    if (!a || !b) return;
    const { port1, port2 } = new MessageChannel();
    a.postMessage({ kind: 'link', shard: j, port: port1 } satisfies ToShard, [port1]);
    b.postMessage({ kind: 'link', shard: i, port: port2 } satisfies ToShard, [port2]);
  }

  /** Posts to shard `index`'s thread; false (and nothing sent) while it has none. */
  #post(index: number, message: ToShard): boolean {
    const worker = this.#shards[index]?.worker;
    if (!worker) return false;
    worker.postMessage(message);
    return true;
  }

  #broadcast(message: ToShard): void {
    for (const s of this.#shards) s.worker?.postMessage(message);
  }
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
