/**
 * Messages between the main thread (client/audio/audio-engine.ts) and the DSP
 * worker (dsp-worker.ts): a discriminated union each way, switched on
 * exhaustively. Audio itself never travels in messages — it moves through the
 * SharedArrayBuffer rings; only encoded packets and datagrams do.
 */
import type { ChannelConfig } from '../../../shared/control/protocol.ts';
import type { LevelReport } from '../engine-api.ts';
import type { CaptureMark, PlayMark } from './latency-probe.ts';
import type { GateSettings } from './transmit-gate.ts';

export type ToWorker =
  | {
      type: 'init';
      capture: SharedArrayBuffer;
      playback: SharedArrayBuffer;
      bell: SharedArrayBuffer;
      /** Samples the output device pulls at once (AudioContext.baseLatency × rate); sets the playback ring's low-water floor. */
      deviceBufferSamples: number;
      gate: GateSettings;
      playout: 'fixed' | 'adaptive';
    }
  | { type: 'channel'; config: ChannelConfig }
  | { type: 'gate'; gate: GateSettings }
  | { type: 'ptt'; down: boolean }
  | { type: 'self-mute'; muted: boolean }
  | { type: 'deaf'; deaf: boolean }
  | { type: 'user-volume'; token: number; volume: number }
  | { type: 'user-mute'; token: number; muted: boolean }
  | { type: 'playout'; mode: 'fixed' | 'adaptive' }
  /** A datagram from the relay; `bytes` is transferred; `at` = arrival on the main thread (timeOrigin + now, ms). */
  | { type: 'datagram'; bytes: ArrayBuffer; at: number }
  /** bench:latency: start watching for impulses (marks cleared), or hand over what was seen. */
  | { type: 'probe-start'; threshold: number }
  | { type: 'probe-read' }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  /** One encoded frame to send; `opus` is transferred. */
  | { type: 'frame'; opus: ArrayBuffer; timestamp: number }
  | { type: 'report'; report: LevelReport }
  | { type: 'probe-marks'; captures: CaptureMark[]; plays: PlayMark[] }
  | { type: 'error'; message: string };
