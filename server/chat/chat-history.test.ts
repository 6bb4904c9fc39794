/**
 * ChatHistory on a real, migrated SQLite database: ids handed out in order
 * and never reused (not after pruning, a failed write, a deleted channel or a
 * new ChatHistory on the same file), the last `keep` per channel, oldest
 * first, and keep 0 storing nothing.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatHistory, type ChatRecord } from './chat-history.ts';
import type { Database } from '../db/database.ts';
import { testDatabases } from '../db/test-databases.ts';

const NOW = 1_795_400_000_000;
// Seeded by migrations/0002_seed_channels.sql.
const LOBBY = 1;
const GAMING = 2;
const MUSIC = 3;

const { fresh: freshDb } = testDatabases('chat-history');

function message(channelId: number, n: number, overrides: Partial<ChatRecord> = {}): ChatRecord {
  return { channelId, userId: null, nickname: `nick${n}`, text: `message ${n}`, createdAt: NOW + n, ...overrides };
}

/** Appends and insists the write succeeded; returns the id. */
function appendOk(history: ChatHistory, record: ChatRecord): number {
  const { id, error } = history.append(record);
  assert.equal(error, null);
  return id;
}

function rowCount(db: Database): number {
  return (db.sqlite.prepare('SELECT count(*) AS n FROM chat_messages').get() as { n: number }).n;
}

describe('ChatHistory', () => {
  test('keep must be a whole number ≥ 0', async () => {
    const db = await freshDb();
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new ChatHistory(db, bad), TypeError, String(bad));
    }
  });

  test('append gives ids 1, 2, 3 on a new database; recent returns them oldest first with every field', async () => {
    const db = await freshDb();
    const history = new ChatHistory(db, 10);
    assert.equal(history.keep, 10);
    assert.deepEqual(history.recent(LOBBY), []);
    const ids = [1, 2, 3].map((n) => appendOk(history, message(LOBBY, n)));
    assert.deepEqual(ids, [1, 2, 3]);
    assert.deepEqual(history.recent(LOBBY), [
      { id: 1, nickname: 'nick1', text: 'message 1', serverTime: NOW + 1 },
      { id: 2, nickname: 'nick2', text: 'message 2', serverTime: NOW + 2 },
      { id: 3, nickname: 'nick3', text: 'message 3', serverTime: NOW + 3 },
    ]);
  });

  test('order follows append order, not createdAt', async () => {
    const db = await freshDb();
    const history = new ChatHistory(db, 10);
    const late = appendOk(history, message(LOBBY, 1, { createdAt: NOW + 1000 }));
    const early = appendOk(history, message(LOBBY, 2, { createdAt: NOW }));
    assert.deepEqual(history.recent(LOBBY).map((e) => e.id), [late, early]);
  });

  test('stores the user id of a registered sender and null for a guest', async () => {
    const db = await freshDb();
    const user = await db.kysely
      .insertInto('users')
      .values({ name: 'ivy', password_hash: '$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', created_at: NOW })
      .returning('id')
      .executeTakeFirstOrThrow();
    const history = new ChatHistory(db, 10);
    appendOk(history, message(LOBBY, 1, { userId: user.id }));
    appendOk(history, message(LOBBY, 2));
    const rows = db.sqlite.prepare('SELECT user_id FROM chat_messages ORDER BY id').all() as { user_id: number | null }[];
    assert.deepEqual(rows.map((r) => r.user_id), [user.id, null]);
  });

  test('keeps the last `keep` messages of each channel, counted per channel', async () => {
    const db = await freshDb();
    const history = new ChatHistory(db, 3);
    const gaming: number[] = [];
    const music: number[] = [];
    for (let n = 1; n <= 7; n++) {
      gaming.push(appendOk(history, message(GAMING, n)));
      if (n <= 2) music.push(appendOk(history, message(MUSIC, n)));
    }
    assert.deepEqual(history.recent(GAMING).map((e) => e.id), gaming.slice(-3));
    assert.deepEqual(history.recent(GAMING).map((e) => e.text), ['message 5', 'message 6', 'message 7']);
    assert.deepEqual(history.recent(MUSIC).map((e) => e.id), music, 'a busy channel does not push out a quiet one');
    assert.deepEqual(history.recent(LOBBY), []);
    assert.equal(rowCount(db), 5, 'pruned rows are deleted, not just hidden');
  });

  test('keep 1 holds only the newest message', async () => {
    const db = await freshDb();
    const history = new ChatHistory(db, 1);
    appendOk(history, message(LOBBY, 1));
    const last = appendOk(history, message(LOBBY, 2));
    assert.deepEqual(history.recent(LOBBY).map((e) => e.id), [last]);
    assert.equal(rowCount(db), 1);
  });

  test('keep 0 hands out ids but stores nothing', async () => {
    const db = await freshDb();
    const history = new ChatHistory(db, 0);
    const ids = [1, 2, 3].map((n) => history.append(message(LOBBY, n)));
    assert.deepEqual(ids, [
      { id: 1, error: null },
      { id: 2, error: null },
      { id: 3, error: null },
    ]);
    assert.deepEqual(history.recent(LOBBY), []);
    assert.equal(rowCount(db), 0);
  });

  test('a failed write still uses up its id and reports the error; the next message gets the next id', async () => {
    const db = await freshDb();
    const history = new ChatHistory(db, 5);
    const before = appendOk(history, message(LOBBY, 1));
    // channel_id references channels(id): a channel that does not exist makes the insert fail.
    const failed = history.append(message(999, 2));
    assert.equal(failed.id, before + 1);
    assert.ok(failed.error instanceof Error, 'the error is returned, not thrown');
    assert.match(failed.error.message, /FOREIGN KEY/);
    const after = appendOk(history, message(LOBBY, 3));
    assert.equal(after, failed.id + 1);
    assert.deepEqual(history.recent(LOBBY).map((e) => e.id), [before, after]);
    assert.deepEqual(history.recent(999), []);
  });

  test('a new ChatHistory on the same database continues after the highest id ever given, even once it is pruned', async () => {
    const db = await freshDb();
    const first = new ChatHistory(db, 2);
    let last = 0;
    for (let n = 1; n <= 5; n++) last = appendOk(first, message(GAMING, n));
    assert.equal(last, 5);

    const second = new ChatHistory(db, 2);
    assert.deepEqual(second.recent(GAMING).map((e) => e.id), [4, 5], 'what the first kept, the second reads');
    assert.ok(appendOk(second, message(GAMING, 6)) > 5, 'a later run hands out ids above every earlier one');
  });

  test('a run reserves ids in blocks: one server_meta write per block, and the next run starts above the block', async () => {
    const db = await freshDb();
    const ceiling = (): number => Number((db.sqlite.prepare("SELECT value FROM server_meta WHERE key = 'chat_id_ceiling'").get() as { value: string }).value);
    const first = new ChatHistory(db, 3);
    const reserved = ceiling();
    let id = 0;
    for (let n = 0; n < 1200; n++) id = appendOk(first, message(LOBBY, n));
    assert.ok(ceiling() > reserved && ceiling() >= id, 'the reservation moved on when the first block ran out');
    const before = ceiling();
    assert.ok(appendOk(new ChatHistory(db, 3), message(LOBBY, 0)) > before, 'the next run starts above everything reserved before');
  });

  test('ids are not reused after the newest messages are deleted with their channel', async () => {
    const db = await freshDb();
    const first = new ChatHistory(db, 10);
    appendOk(first, message(LOBBY, 1));
    appendOk(first, message(GAMING, 2));
    const newest = appendOk(first, message(MUSIC, 3));
    await db.kysely.deleteFrom('channels').where('id', '=', MUSIC).execute(); // cascades to its messages
    assert.equal(rowCount(db), 2);

    assert.equal(appendOk(first, message(LOBBY, 4)), newest + 1, 'the live instance keeps counting');
    await db.kysely.deleteFrom('chat_messages').execute(); // every row gone: only sqlite_sequence remembers
    const second = new ChatHistory(db, 10);
    assert.ok(appendOk(second, message(LOBBY, 5)) > newest + 1);
  });

  // Ids handed out but never stored (a failed write, keep 0) are not reused by a later run either.
  test(
    'ids are not reused across a new ChatHistory when the newest message failed to store',
    async () => {
      const db = await freshDb();
      const first = new ChatHistory(db, 5);
      appendOk(first, message(LOBBY, 1));
      const failed = first.append(message(999, 2));
      assert.ok(failed.error instanceof Error);
      assert.ok(appendOk(new ChatHistory(db, 5), message(LOBBY, 3)) > failed.id);
    },
  );

  test(
    'ids are not reused across a new ChatHistory under keep 0',
    async () => {
      const db = await freshDb();
      const given = new ChatHistory(db, 0).append(message(LOBBY, 1)).id;
      assert.ok(new ChatHistory(db, 0).append(message(LOBBY, 2)).id > given);
    },
  );

  test('a smaller keep on a new ChatHistory serves only that many, and prunes to it on the next append', async () => {
    const db = await freshDb();
    const wide = new ChatHistory(db, 5);
    for (let n = 1; n <= 5; n++) appendOk(wide, message(LOBBY, n));
    const narrow = new ChatHistory(db, 2);
    assert.deepEqual(narrow.recent(LOBBY).map((e) => e.id), [4, 5]);
    const six = appendOk(narrow, message(LOBBY, 6));
    assert.deepEqual(narrow.recent(LOBBY).map((e) => e.id), [5, six]);
    assert.equal(rowCount(db), 2);
  });
});
