/** Messages between the fleet (parent) and a bot process, over the fork IPC channel. */
import type { SerializedSendLog, SerializedStats } from './bot-stats.ts';
import type { JitterCounters } from '../../shared/audio/jitter-buffer.ts';

export interface BotSpec {
  nickname: string;
  channelId: number;
  talk: boolean;
}

export type ToBots =
  | { kind: 'start'; url: string; bots: BotSpec[]; packets: number[][]; decode: boolean }
  | { kind: 'go'; startAtMs: number; durationMs: number; warmupMs: number };

export type FromBots =
  | { kind: 'ready'; tokens: number[] }
  | { kind: 'done'; stats: SerializedStats; sends: SerializedSendLog[]; sent: number; cpuMicros: number; wallMs: number; decode: JitterCounters | null }
  | { kind: 'failed'; message: string };
