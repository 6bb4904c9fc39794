/**
 * The admin token lives in sessionStorage: it survives a reload of the tab but
 * not closing it, and other tabs do not share it. A stored token past its
 * `expiresAt` is dropped on read.
 */
import { z } from 'zod';

const KEY = 'voice-app.admin-token';
const storedSchema = z.object({ token: z.string().min(1), expiresAt: z.number() });
export type StoredToken = z.infer<typeof storedSchema>;

export function readToken(nowMs: number): StoredToken | null {
  let raw: string | null;
  try {
    raw = sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the token lives only in memory
  }
  if (raw === null) return null;
  let parsed: ReturnType<typeof storedSchema.safeParse>;
  try {
    parsed = storedSchema.safeParse(JSON.parse(raw));
  } catch {
    parsed = storedSchema.safeParse(undefined);
  }
  if (!parsed.success || parsed.data.expiresAt <= nowMs) {
    clearToken();
    return null;
  }
  return parsed.data;
}

export function writeToken(stored: StoredToken): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(stored));
  } catch (error) {
    console.warn('[admin] could not keep the token in sessionStorage; a reload will ask to log in again', error);
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Storage disabled: nothing was stored.
  }
}
