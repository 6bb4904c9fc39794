/**
 * Secrets the server makes once and keeps in its data directory (the admin
 * token key, the DTLS identity), so they survive restarts and nobody waits
 * for one to be generated later.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The value kept in `file`: parsed from the file if it exists, else made now
 * and written so that a crash never leaves a half-written key under the real
 * name — a temporary file beside it (flag 'wx', mode 0600, fsynced) renamed
 * into place; the folder is created with mode 0700 if missing. `parse` throws
 * for content that is not a key; the error then names the file (and the file
 * is left alone). File-system errors come as they are.
 */
export async function loadOrCreateKeyFile<T>(
  file: string,
  make: () => string | Promise<string>,
  parse: (text: string) => T,
): Promise<{ value: T; created: boolean }> {
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== null) return { value: parseIn(file, text, parse), created: false };
  const made = await make();
  const value = parseIn(file, made, parse); // what a restart will read back
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(made);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return { value, created: true };
}

function parseIn<T>(file: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
}
