/**
 * For tests: fresh, fully migrated SQLite databases in temp folders, closed
 * and removed when the test file ends. Real SQLite, never a mock.
 */
import { after } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Database } from './database.ts';
import { migrateToLatestOrThrow } from './migrate.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Returns `fresh()`, which makes a new database (in its own data dir) each call. */
export function testDatabases(label: string): { fresh(): Promise<Database & { dataDir: string }> } {
  const temps: string[] = [];
  const dbs: Database[] = [];
  after(async () => {
    for (const db of dbs) await db.close();
    for (const d of temps) await rm(d, { recursive: true, force: true });
  });
  return {
    async fresh() {
      const dataDir = await mkdtemp(path.join(tmpdir(), `${label}-`));
      temps.push(dataDir);
      const db = openDatabase(dataDir);
      dbs.push(db);
      await migrateToLatestOrThrow(db, MIGRATIONS_DIR);
      return Object.assign(db, { dataDir });
    },
  };
}
