/**
 * The SQLite database: one better-sqlite3 handle in WAL mode with
 * synchronous=NORMAL, wrapped by Kysely.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type Compilable } from 'kysely';
import type { DatabaseSchema } from './schema.ts';

export interface Database {
  readonly kysely: Kysely<DatabaseSchema>;
  /** The raw handle, for running multi-statement migration files. */
  readonly sqlite: SQLite.Database;
  readonly file: string;
  close(): Promise<void>;
}

/** Where the database of a data directory lives. */
export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'voice-app.sqlite');
}

export function openDatabase(dataDir: string): Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = databaseFile(dataDir);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL, not FULL: under WAL, NORMAL syncs at checkpoints instead of at every commit. The
  // database stays consistent and a commit survives a process crash at once; only power loss or
  // an OS crash can take back the last commits before a checkpoint — a few chat lines, a login
  // time, a ban made seconds earlier. FULL would fsync once per chat message on the one thread
  // that also relays voice (docs/architecture.md §9).
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const kysely = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
  let closed = false;
  return {
    kysely,
    sqlite,
    file,
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy(); // closes the better-sqlite3 handle too
    },
  };
}

/**
 * Runs a query built with Kysely at once, on the better-sqlite3 handle: for a
 * check and the write it guards, with no await (and so no other request)
 * between them. Returns the rows of a query that has any (RETURNING), else [].
 */
export function runNow<O>(db: Database, query: Compilable<O>): O[] {
  const { sql, parameters } = query.compile();
  const statement = db.sqlite.prepare(sql);
  if (statement.reader) return statement.all(parameters) as O[];
  statement.run(parameters);
  return [];
}
