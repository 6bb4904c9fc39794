/**
 * The audio settings, kept in localStorage and merged over the defaults field
 * by field: one stale or invalid field falls back alone, the rest survive.
 */
import { z } from 'zod';
import { DEFAULT_AUDIO_SETTINGS, type AudioSettings } from '../../audio/engine-api.ts';
import { readJson, writeJson } from './local-store.ts';

const KEY = 'voice-app.audio-settings';
const D = DEFAULT_AUDIO_SETTINGS;

const settingsSchema = z.object({
  inputDeviceId: z.string().max(512).catch(D.inputDeviceId),
  outputDeviceId: z.string().max(512).catch(D.outputDeviceId),
  echoCancellation: z.boolean().catch(D.echoCancellation),
  noiseSuppression: z.boolean().catch(D.noiseSuppression),
  autoGainControl: z.boolean().catch(D.autoGainControl),
  mode: z.enum(['vad', 'ptt']).catch(D.mode),
  vadThresholdDb: z.number().min(-80).max(0).catch(D.vadThresholdDb),
  vadHangoverMs: z.number().int().min(0).max(5000).catch(D.vadHangoverMs),
  pttKey: z.string().min(1).max(64).catch(D.pttKey),
  playout: z.enum(['fixed', 'adaptive']).catch(D.playout),
}) satisfies z.ZodType<AudioSettings>;

export function loadAudioSettings(): AudioSettings {
  // A missing field is `undefined`, which each field's `.catch` turns into its default.
  return readJson(KEY, settingsSchema, { ...D });
}

export function saveAudioSettings(settings: AudioSettings): void {
  writeJson(KEY, settings);
}
