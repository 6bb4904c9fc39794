/** How the app and the admin panel turn the server's words and figures into sentences. Pure. */

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The server's words as a sentence: its messages are lower-case clauses without
 * a full stop ("wrong name or password"). Empty stays empty.
 */
export function sentence(text: string): string {
  const t = capitalise(text.trim());
  return t === '' || /[.!?]$/.test(t) ? t : `${t}.`;
}

/**
 * "4 min", "45 s", "3 h", "2 days": how long until trying again can work, rounded up so
 * that trying at the time said does work.
 */
export function describeWait(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.ceil(min / 60);
  if (h < 48) return `${h} h`;
  const days = Math.ceil(h / 24);
  return `${days} days`;
}
