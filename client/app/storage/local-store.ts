/**
 * localStorage, read through a schema: a value written by an older build, by
 * hand or by another app on the origin comes back as the fallback instead of
 * poisoning the app. Storage can be unavailable (private modes, quota): reads
 * then give the fallback and writes report why they failed.
 */
import type { z } from 'zod';

/** A raw string value, or null when absent or storage is unavailable. */
export function readText(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function readJson<T>(key: string, schema: z.ZodType<T>, fallback: T): T {
  const text = readText(key);
  if (text === null) return fallback;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fallback;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : fallback;
}

/** Returns false (and logs why) when the browser refuses to store it. */
export function writeJson(key: string, value: unknown): boolean {
  try {
    localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch (error) {
    console.warn(`[storage] could not save ${key}:`, error);
    return false;
  }
}
