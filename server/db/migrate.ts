/**
 * Applies the plain `.sql` files in migrations/ in name order through Kysely's
 * Migrator, which records them in kysely_migration. A file may hold many
 * statements. Kysely does not wrap SQLite migrations in a transaction (its
 * adapter reports no transactional DDL), so each file runs in its own
 * transaction here: a failing file leaves the database as it was and is not
 * recorded. Files must not BEGIN/COMMIT themselves.
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
      // Kysely's query path prepare()s one statement only; exec() runs the whole file.
      const apply = this.#db.sqlite.transaction(() => this.#db.sqlite.exec(text));
      out[name.slice(0, -'.sql'.length)] = { up: async () => void apply() };
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
