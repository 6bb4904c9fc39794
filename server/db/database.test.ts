/**
 * openDatabase's settings on a real file: WAL, synchronous=NORMAL (no fsync
 * per commit on the relay's thread), foreign keys on, a busy timeout; and
 * runNow, which runs a Kysely query synchronously.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runNow } from './database.ts';
import { testDatabases } from './test-databases.ts';

const databases = testDatabases('database');

test('WAL with synchronous=NORMAL, foreign keys on, a 5 s busy timeout', async () => {
  const db = await databases.fresh();
  const pragma = (name: string): unknown => db.sqlite.pragma(name, { simple: true });
  assert.equal(pragma('journal_mode'), 'wal');
  assert.equal(pragma('synchronous'), 1, 'NORMAL (FULL is 2)');
  assert.equal(pragma('foreign_keys'), 1);
  assert.equal(pragma('busy_timeout'), 5000);
});

test('runNow returns RETURNING rows at once, and [] for a statement without', async () => {
  const db = await databases.fresh();
  const rows = runNow(db, db.kysely.updateTable('channels').set({ name: 'Games' }).where('id', '=', 2).returning(['id', 'name']));
  assert.deepEqual(rows, [{ id: 2, name: 'Games' }]);
  assert.deepEqual(runNow(db, db.kysely.deleteFrom('channels').where('id', '=', 4)), []);
  assert.deepEqual(runNow(db, db.kysely.selectFrom('channels').select('id').orderBy('id')), [{ id: 1 }, { id: 2 }, { id: 3 }]);
});
