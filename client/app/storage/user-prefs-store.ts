/**
 * Per-person playback choices (volume, local mute), remembered by nickname:
 * session tokens change on every connect, nicknames are what the user knows.
 */
import { z } from 'zod';
import { readJson, writeJson } from './local-store.ts';

const KEY = 'voice-app.user-prefs';
/** Enough for every regular of a server; the least recently changed go first. */
const MAX_ENTRIES = 500;

export interface UserPrefs {
  /** Percent, 0..200. */
  volume: number;
  muted: boolean;
}

export const DEFAULT_USER_PREFS: Readonly<UserPrefs> = Object.freeze({ volume: 100, muted: false });

const prefsSchema = z.object({
  volume: z.number().min(0).max(200).catch(100),
  muted: z.boolean().catch(false),
});
const storeSchema = z.record(z.string(), prefsSchema);

export function loadUserPrefs(nickname: string): UserPrefs {
  return readJson(KEY, storeSchema, {})[nickname] ?? { ...DEFAULT_USER_PREFS };
}

export function saveUserPrefs(nickname: string, prefs: UserPrefs): void {
  const all = readJson(KEY, storeSchema, {});
  delete all[nickname];
  const isDefault = prefs.volume === DEFAULT_USER_PREFS.volume && prefs.muted === DEFAULT_USER_PREFS.muted;
  if (!isDefault) all[nickname] = { volume: prefs.volume, muted: prefs.muted };
  // Insertion order is change order: trim the oldest.
  const names = Object.keys(all);
  for (const name of names.slice(0, Math.max(0, names.length - MAX_ENTRIES))) delete all[name];
  writeJson(KEY, all);
}
