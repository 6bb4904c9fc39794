/**
 * Applies the plain `.sql` files in migrations/ in name order through Kysely's
 * Migrator (which records them in kysely_migration and takes its lock). A file
 * may hold many statements; it runs inside the migrator's transaction, so a
 * failing file leaves the database as it was. Files must not BEGIN/COMMIT.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Database } from './database.ts';
import { MigrationError } from '../util/errors.ts';

class SqlFileMigrationProvider implements MigrationProvider {
  readonly #dir: string;
  readonly #db: Database;

  constructor(db: Database, dir: string) {
    this.#db = db;
    this.#dir = dir;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    let names: string[];
    try {
      names = (await readdir(this.#dir)).filter((n) => n.endsWith('.sql')).sort();
    } catch (error) {
      throw new MigrationError(`cannot read migrations folder ${this.#dir}: ${(error as Error).message}`);
    }
    const out: Record<string, Migration> = {};
    for (const name of names) {
      const text = await readFile(path.join(this.#dir, name), 'utf8');
      // The migrator has opened its transaction on the same (only) connection, so
      // exec() runs inside it; Kysely's own path would prepare() one statement only.
      out[name.slice(0, -'.sql'.length)] = { up: async () => void this.#db.sqlite.exec(text) };
    }
    return out;
  }
}

export interface MigrationReport {
  applied: string[];
}

/** Brings the schema to the newest migration or throws MigrationError naming the file. */
export async function migrateToLatestOrThrow(db: Database, dir: string): Promise<MigrationReport> {
  const migrator = new Migrator({ db: db.kysely, provider: new SqlFileMigrationProvider(db, dir) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error');
    const what = failed ? `${failed.migrationName}.sql` : 'migrations';
    const why = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`migration ${what} failed: ${why}`);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
