/** How the panel writes numbers, sizes, durations and times. Pure; `now` is passed in. */

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let v = Math.max(0, bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[u]}`;
}

/** Events per second: whole numbers from 10 up, one decimal below. */
export function formatRate(perSecond: number): string {
  return `${perSecond >= 10 ? Math.round(perSecond).toLocaleString('en') : perSecond.toFixed(1)}/s`;
}

/** A share (0–1) as a whole percentage, one decimal below 10 %. */
export function formatPercent(share: number): string {
  const pct = share * 100;
  return `${pct >= 10 ? Math.round(pct) : pct.toFixed(1)} %`;
}

/** A short duration: two decimals below 1 ms, one below 10, whole from 10 up. */
export function formatMs(ms: number): string {
  return `${ms < 1 ? ms.toFixed(2) : ms < 10 ? ms.toFixed(1) : Math.round(ms).toLocaleString('en')} ms`;
}

/** Bytes per second as kbit/s. */
export function formatBitRate(bytesPerSecond: number): string {
  const kbit = (bytesPerSecond * 8) / 1000;
  return `${kbit >= 10 ? Math.round(kbit).toLocaleString('en') : kbit.toFixed(1)} kbit/s`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDateTime(ms: number): string {
  return dateTime.format(ms);
}

/** "5 min ago", or the date for anything older than a day. */
export function formatSince(ms: number, nowMs: number): string {
  const seconds = (nowMs - ms) / 1000;
  return seconds < 86_400 ? `${formatDuration(seconds)} ago` : formatDateTime(ms);
}

/** When a ban ends: "permanent", "in 23 h", or the date past a week. */
export function formatExpiry(expiresAt: number | null, nowMs: number): string {
  if (expiresAt === null) return 'permanent';
  const seconds = (expiresAt - nowMs) / 1000;
  return seconds < 7 * 86_400 ? `in ${formatDuration(seconds)}` : formatDateTime(expiresAt);
}
