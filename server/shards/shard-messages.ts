/**
 * What the main thread and a relay shard say to each other (discriminated on
 * `kind`). Control-rate messages only — membership, signalling, peer life
 * cycle — never a datagram: datagrams stay inside the shard that received
 * them, except a whisper to another shard's member, which goes shard to shard
 * over a MessagePort of its own (the `link` message hands one over).
 */
import type { MessagePort } from 'node:worker_threads';
import type { MemberState } from '../relay/voice-relay.ts';
import type { PeerOptions, RemoteCandidate } from '../rtc/voice-peer.ts';
import type { LogLevel } from '../util/log.ts';

/** The worker's `workerData`. */
export interface ShardInit {
  index: number;
  /** float64 counters of every shard (shard-counters.ts); this shard writes only its own block. */
  counters: SharedArrayBuffer;
  /** Peer options with this shard's own slice of the UDP port range. */
  peer: PeerOptions;
  logLevel: LogLevel;
  /** VOICE_RELAY_BUNDLE_MS for this thread's voice lanes (setBundleHold). */
  bundleHoldMs: number;
  /** Tests only: a module the thread imports first, whose default export is called with `data` (RelayShardsOptions.preload). */
  preload: ShardPreload | null;
}

/** A module URL (file:) and what its default export is called with; `data` must survive structured cloning. */
export interface ShardPreload {
  url: string;
  data: unknown;
}

export type ToShard =
  /** Add the member, or update its channel and state. */
  | { kind: 'member'; token: number; state: MemberState }
  | { kind: 'remove'; token: number }
  /** Where members live, for whispers: shard -1 means gone. `reset` replaces the whole directory. */
  | { kind: 'directory'; entries: Array<[token: number, shard: number]>; reset: boolean }
  /** The port whispers to and from shard `shard` go through (replaces an earlier one). */
  | { kind: 'link'; shard: number; port: MessagePort }
  /** Create peer `peer` for `token`; it becomes the token's current peer. */
  | { kind: 'peer'; peer: number; token: number }
  | { kind: 'answer'; peer: number; request: number; sdp: string; peerAddress: string }
  | { kind: 'candidate'; peer: number; request: number; candidate: RemoteCandidate; peerAddress: string }
  | { kind: 'close-peer'; peer: number }
  /** What this shard's relay knows of `token` (tests and diagnostics). */
  | { kind: 'query'; request: number; token: number }
  /** Close every peer and say `closed`; the main thread then terminates the worker. */
  | { kind: 'close' };

export type FromShard =
  | { kind: 'ready' }
  | { kind: 'peer-open'; peer: number }
  | { kind: 'peer-closed'; peer: number }
  | { kind: 'answered'; peer: number; request: number; sdp: string; dropped: number }
  /** A candidate was applied, or ignored (closed peer, over the cap, not at the client's address). */
  | { kind: 'done'; peer: number; request: number }
  | { kind: 'failed'; peer: number; request: number; message: string }
  | { kind: 'query'; request: number; member: boolean; peerOpen: boolean }
  | { kind: 'closed' };
