/**
 * Server bookmarks in IndexedDB (raw API behind promise wrappers). Records are
 * validated on the way out, so a record from an older build or written by hand
 * is skipped instead of breaking the list.
 *
 * The password is the account password of the bookmark's nickname on that
 * server ('' for a guest), kept as the user typed it and sent in the hello on
 * connect. Whether to register is never kept: a bookmark logs in.
 */
import { z } from 'zod';

const DB_NAME = 'voice-app';
const DB_VERSION = 1;
const STORE = 'bookmarks';

export const bookmarkFieldsSchema = z.object({
  label: z.string().trim().min(1).max(64),
  /** Host name or IP address, without scheme or port. */
  address: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  nickname: z.string().trim().max(32),
  password: z.string().max(128),
});
export type BookmarkFields = z.infer<typeof bookmarkFieldsSchema>;

const bookmarkSchema = bookmarkFieldsSchema.extend({ id: z.number().int().min(1) });
export type Bookmark = z.infer<typeof bookmarkSchema>;

export class BookmarkStore {
  readonly #db: IDBDatabase;

  private constructor(db: IDBDatabase) {
    this.#db = db;
  }

  static async open(name = DB_NAME): Promise<BookmarkStore> {
    const request = indexedDB.open(name, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    };
    const db = await settle(request);
    // Another tab opening a newer version asks us to let go.
    db.onversionchange = () => db.close();
    return new BookmarkStore(db);
  }

  /** Every valid bookmark, ordered by label. */
  async list(): Promise<Bookmark[]> {
    const rows = await settle(this.#db.transaction(STORE, 'readonly').objectStore(STORE).getAll());
    const valid: Bookmark[] = [];
    for (const row of rows) {
      const parsed = bookmarkSchema.safeParse(row);
      if (parsed.success) valid.push(parsed.data);
    }
    return valid.sort((a, b) => a.label.localeCompare(b.label) || a.id - b.id);
  }

  /** Stores a new bookmark; throws a TypeError when a field is invalid. */
  async add(fields: BookmarkFields): Promise<Bookmark> {
    const clean = check(fields);
    const tx = this.#db.transaction(STORE, 'readwrite');
    const id = await settle(tx.objectStore(STORE).add(clean));
    await committed(tx);
    if (typeof id !== 'number') throw new Error('IndexedDB gave the bookmark a non-numeric key');
    return { ...clean, id };
  }

  async update(bookmark: Bookmark): Promise<void> {
    const clean = { ...check(bookmark), id: bookmark.id };
    const tx = this.#db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(clean);
    await committed(tx);
  }

  async delete(id: number): Promise<void> {
    const tx = this.#db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).delete(id);
    await committed(tx);
  }

  close(): void {
    this.#db.close();
  }
}

function check(fields: BookmarkFields): BookmarkFields {
  const parsed = bookmarkFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`invalid bookmark: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return parsed.data;
}

function settle<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}
