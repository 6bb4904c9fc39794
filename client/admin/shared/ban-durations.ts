/** The durations a ban form offers; null is permanent. */
export const BAN_DURATIONS: readonly { label: string; seconds: number | null }[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
  { label: 'Permanent', seconds: null },
];

export const DEFAULT_BAN_DURATION = '86400';

/** The select's value for a duration, and back. */
export function durationValue(seconds: number | null): string {
  return seconds === null ? 'permanent' : String(seconds);
}

export function durationFromValue(value: string): number | null {
  return value === 'permanent' ? null : Number(value);
}
