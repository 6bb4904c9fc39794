/** How the app and the admin panel turn the server's words into sentences. Pure. */

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
