/**
 * ChannelDirectory on a real, migrated SQLite database (seeded Lobby → Gaming,
 * Music, AFK): create, update and remove write the table and memory alike, so
 * a reload with ChannelDirectory.load gives back what the live directory
 * holds — requiredRole and locked included. Moves that would make a loop or
 * give the root a parent are ConflictErrors that change nothing; remove takes
 * the subtree with it and names it deepest first.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelInfo } from '../../shared/control/protocol.ts';
import { ChannelDirectory } from './channel-directory.ts';
import type { Database } from '../db/database.ts';
import { testDatabases } from '../db/test-databases.ts';
import { ConflictError, NotFoundError } from '../util/errors.ts';

// Seeded by migrations/0002_seed_channels.sql.
const LOBBY = 1;
const GAMING = 2;
const MUSIC = 3;
const AFK = 4;

const databases = testDatabases('channel-directory');

async function fresh(): Promise<{ db: Database; dir: ChannelDirectory }> {
  const db = await databases.fresh();
  return { db, dir: await ChannelDirectory.load(db) };
}

/** Every channel, by id, as a fresh load from the database sees it. */
async function reloaded(db: Database): Promise<ChannelInfo[]> {
  return (await ChannelDirectory.load(db)).list().sort((a, b) => a.id - b.id);
}

const byId = (dir: ChannelDirectory) => dir.list().sort((a, b) => a.id - b.id);

async function ids(db: Database): Promise<number[]> {
  return (await db.kysely.selectFrom('channels').select('id').orderBy('id').execute()).map((r) => r.id);
}

describe('ChannelDirectory.load', () => {
  test('reads the seeded tree: Lobby is the root and where sessions land', async () => {
    const { dir } = await fresh();
    assert.equal(dir.rootId, LOBBY);
    assert.deepEqual(dir.get(LOBBY), {
      id: LOBBY,
      parentId: null,
      name: 'Lobby',
      position: 0,
      maxUsers: 0,
      config: { bitrate: 16000, frameSamples: 960 },
      locked: false,
      requiredRole: 'guest',
    });
    assert.deepEqual(dir.get(MUSIC), {
      id: MUSIC,
      parentId: LOBBY,
      name: 'Music',
      position: 1,
      maxUsers: 0,
      config: { bitrate: 96000, frameSamples: 960 },
      locked: false,
      requiredRole: 'guest',
    });
    assert.deepEqual(byId(dir).map((c) => c.name), ['Lobby', 'Gaming', 'Music', 'AFK']);
    assert.equal(dir.get(99), undefined);
  });

  test('a table without a root channel is an error', async () => {
    const { db } = await fresh();
    await db.kysely.deleteFrom('channels').where('id', '=', LOBBY).execute(); // cascades to the whole tree
    await assert.rejects(ChannelDirectory.load(db), /no root channel/);
  });
});

describe('ChannelDirectory.create', () => {
  test('with defaults: open, anyone may join, 16 kb/s, 960 samples; the same after a reload', async () => {
    const { db, dir } = await fresh();
    const c = await dir.create(db, { name: 'Talk', parentId: GAMING });
    assert.deepEqual(c, {
      id: c.id,
      parentId: GAMING,
      name: 'Talk',
      position: 0,
      maxUsers: 0,
      config: { bitrate: 16000, frameSamples: 960 },
      locked: false,
      requiredRole: 'guest',
    });
    assert.deepEqual(dir.get(c.id), c);
    assert.deepEqual(await reloaded(db), byId(dir));
  });

  test('with every field, a password and a required role: locked and requiredRole survive a reload', async () => {
    const { db, dir } = await fresh();
    const c = await dir.create(db, {
      name: 'Staff',
      parentId: LOBBY,
      position: 7,
      maxUsers: 5,
      bitrate: 64000,
      frameSamples: 480,
      requiredRole: 'moderator',
      password: 'staff only',
    });
    assert.deepEqual(c, {
      id: c.id,
      parentId: LOBBY,
      name: 'Staff',
      position: 7,
      maxUsers: 5,
      config: { bitrate: 64000, frameSamples: 480 },
      locked: true,
      requiredRole: 'moderator',
    });
    assert.ok(!JSON.stringify(dir.list()).includes('argon2'), 'the hash never leaves in ChannelInfo');
    const again = await ChannelDirectory.load(db);
    assert.deepEqual(again.get(c.id), c);
    assert.equal(await again.checkPassword(c.id, 'staff only'), true, 'the reloaded hash opens it');
    assert.equal(await again.checkPassword(c.id, 'staff'), false);
    assert.equal(await again.checkPassword(GAMING, 'anything'), true, 'an open channel takes any password');
    assert.equal(await again.checkPassword(999, 'anything'), false, 'an unknown channel opens to none');
  });

  test('an unknown parent is a NotFoundError naming parentId and writes nothing', async () => {
    const { db, dir } = await fresh();
    await assert.rejects(dir.create(db, { name: 'Orphan', parentId: 99 }), { name: 'NotFoundError', field: 'parentId', message: 'no channel with id 99' });
    assert.deepEqual(await ids(db), [LOBBY, GAMING, MUSIC, AFK]);
    assert.equal(dir.list().length, 4);
  });
});

describe('ChannelDirectory.update', () => {
  test('changes only what the patch names, replaces the info object, and a reload agrees', async () => {
    const { db, dir } = await fresh();
    const before = dir.get(GAMING)!;
    const snapshot = structuredClone(before);
    const next = await dir.update(db, GAMING, { name: 'Games', maxUsers: 12, bitrate: 32000 });
    assert.deepEqual(next, { ...snapshot, name: 'Games', maxUsers: 12, config: { bitrate: 32000, frameSamples: 960 } });
    assert.deepEqual(before, snapshot, 'the old info was not mutated (clients may still hold it)');
    assert.notEqual(next, before);
    assert.equal(dir.get(GAMING), next);
    assert.deepEqual(await reloaded(db), byId(dir));
  });

  test('requiredRole and the lock round-trip through a reload, and a null password opens the channel again', async () => {
    const { db, dir } = await fresh();
    await dir.update(db, MUSIC, { requiredRole: 'member', password: 'tune' });
    let again = await ChannelDirectory.load(db);
    assert.equal(again.get(MUSIC)?.requiredRole, 'member');
    assert.equal(again.get(MUSIC)?.locked, true);

    await dir.update(db, MUSIC, { name: 'Tunes' }); // a patch without a password keeps the lock
    again = await ChannelDirectory.load(db);
    assert.equal(again.get(MUSIC)?.locked, true);

    const opened = await dir.update(db, MUSIC, { password: null, requiredRole: 'guest' });
    assert.equal(opened.locked, false);
    again = await ChannelDirectory.load(db);
    assert.deepEqual(again.get(MUSIC), opened);
    assert.equal(await again.checkPassword(MUSIC, 'wrong'), true, 'open again');
  });

  test('writes only the patched columns: a password set by another process (the CLI) survives an edit here', async () => {
    const { db, dir: server } = await fresh();
    const cli = await ChannelDirectory.load(db); // npm run channel, while the server runs
    await cli.update(db, MUSIC, { password: 'from the shell' });
    await cli.update(db, GAMING, { name: 'Games', maxUsers: 9 });
    await server.update(db, MUSIC, { name: 'Tunes' }); // an admin renames it in /admin
    await server.update(db, GAMING, { password: 'from the panel' });
    const again = await ChannelDirectory.load(db);
    assert.deepEqual([again.get(MUSIC)?.name, again.get(MUSIC)?.locked], ['Tunes', true], 'the rename kept the lock');
    assert.deepEqual(server.get(MUSIC), again.get(MUSIC), 'and the server took the row as stored, lock included');
    assert.equal(await again.checkPassword(MUSIC, 'from the shell'), true);
    assert.deepEqual([again.get(GAMING)?.name, again.get(GAMING)?.maxUsers, again.get(GAMING)?.locked], ['Games', 9, true], 'the lock kept the rename');
    assert.equal(await again.checkPassword(GAMING, 'from the panel'), true);
  });

  test('an empty patch changes nothing and returns the channel as it is', async () => {
    const { db, dir } = await fresh();
    const before = dir.get(AFK);
    assert.equal(await dir.update(db, AFK, {}), before);
  });

  test('moves a channel (and its subtree) under another parent', async () => {
    const { db, dir } = await fresh();
    const sub = await dir.create(db, { name: 'Sub', parentId: GAMING });
    const moved = await dir.update(db, GAMING, { parentId: MUSIC });
    assert.equal(moved.parentId, MUSIC);
    assert.deepEqual(dir.subtree(MUSIC), [MUSIC, GAMING, sub.id]);
    assert.deepEqual(dir.subtree(LOBBY).sort((a, b) => a - b), [LOBBY, GAMING, MUSIC, AFK, sub.id]);
    assert.deepEqual(await reloaded(db), byId(dir));
  });

  test('a parent inside the channel’s own subtree is a ConflictError, and nothing changes', async () => {
    const { db, dir } = await fresh();
    const child = await dir.create(db, { name: 'Child', parentId: GAMING });
    const grandchild = await dir.create(db, { name: 'Grandchild', parentId: child.id });
    const before = byId(dir);
    for (const parentId of [GAMING, child.id, grandchild.id]) {
      await assert.rejects(dir.update(db, GAMING, { parentId, name: 'Renamed' }), ConflictError, `parent ${parentId}`);
    }
    await assert.rejects(dir.update(db, child.id, { parentId: grandchild.id }), ConflictError);
    assert.deepEqual(byId(dir), before);
    assert.deepEqual(await reloaded(db), before);
  });

  test('the root cannot be given a parent: ConflictError; its other fields can change', async () => {
    const { db, dir } = await fresh();
    await assert.rejects(dir.update(db, LOBBY, { parentId: AFK }), ConflictError);
    assert.equal(dir.get(LOBBY)?.parentId, null);
    const renamed = await dir.update(db, LOBBY, { name: 'Hall', requiredRole: 'guest' });
    assert.equal(renamed.parentId, null);
    assert.equal((await ChannelDirectory.load(db)).rootId, LOBBY);
  });

  test('an unknown channel or parent is a NotFoundError (naming parentId for the parent)', async () => {
    const { db, dir } = await fresh();
    await assert.rejects(dir.update(db, 99, { name: 'x' }), { name: 'NotFoundError', field: undefined });
    await assert.rejects(dir.update(db, GAMING, { parentId: 99 }), { name: 'NotFoundError', field: 'parentId' });
    assert.equal(dir.get(GAMING)?.parentId, LOBBY);
  });

  test('a change the table refuses leaves memory as it was', async () => {
    const { db, dir } = await fresh();
    const before = dir.get(AFK);
    await assert.rejects(dir.update(db, AFK, { bitrate: 1000, name: 'Away' }), /CHECK constraint/);
    await assert.rejects(dir.update(db, AFK, { name: 'x'.repeat(65) }), /CHECK constraint/);
    assert.equal(dir.get(AFK), before);
    assert.deepEqual(await reloaded(db), byId(dir));
  });
});

describe('changes made while a password is hashed', () => {
  // A change with a password awaits Argon2; these run meanwhile. What the change checks must be
  // what it finds when it writes: it hashes first, then checks and writes with no await between.
  test('create under a parent deleted during the hash: NotFoundError, nothing written', async () => {
    const { db, dir } = await fresh();
    const made = dir.create(db, { name: 'Late', parentId: AFK, password: 'pw' });
    dir.remove(db, AFK);
    await assert.rejects(made, { name: 'NotFoundError', field: 'parentId' });
    assert.deepEqual(await ids(db), [LOBBY, GAMING, MUSIC]);
    assert.deepEqual(await reloaded(db), byId(dir));
  });

  test('update of a channel deleted during the hash: NotFoundError', async () => {
    const { db, dir } = await fresh();
    const locked = dir.update(db, AFK, { password: 'pw' });
    dir.remove(db, AFK);
    await assert.rejects(locked, { name: 'NotFoundError', field: undefined });
    assert.deepEqual(await reloaded(db), byId(dir));
  });

  test('a move under a parent deleted during the hash: NotFoundError naming parentId', async () => {
    const { db, dir } = await fresh();
    const moved = dir.update(db, GAMING, { parentId: AFK, password: 'pw' });
    dir.remove(db, AFK);
    await assert.rejects(moved, { name: 'NotFoundError', field: 'parentId' });
    assert.equal(dir.get(GAMING)?.parentId, LOBBY);
    assert.deepEqual(await reloaded(db), byId(dir));
  });

  test('two crossed moves, one with a password: the second to write is a ConflictError, never a loop', async () => {
    const { db, dir } = await fresh();
    const a = await dir.create(db, { name: 'A', parentId: LOBBY });
    const b = await dir.create(db, { name: 'B', parentId: LOBBY });
    const aUnderB = dir.update(db, a.id, { parentId: b.id, password: 'pw' }); // hashes first
    assert.equal((await dir.update(db, b.id, { parentId: a.id })).parentId, a.id); // no hash: done meanwhile
    await assert.rejects(aUnderB, ConflictError);
    assert.deepEqual(
      [dir.get(a.id)?.parentId, dir.get(b.id)?.parentId],
      [LOBBY, a.id],
    );
    assert.deepEqual(await reloaded(db), byId(dir));
  });
});

describe('ChannelDirectory.remove', () => {
  test('takes the whole subtree, returns it deepest first, and the table agrees', async () => {
    const { db, dir } = await fresh();
    // GAMING → a → (b → c), d
    const a = await dir.create(db, { name: 'a', parentId: GAMING });
    const b = await dir.create(db, { name: 'b', parentId: a.id });
    const d = await dir.create(db, { name: 'd', parentId: a.id });
    const c = await dir.create(db, { name: 'c', parentId: b.id });
    const gone = dir.remove(db, GAMING);
    assert.deepEqual([...gone].sort((x, y) => x - y), [GAMING, a.id, b.id, d.id, c.id].sort((x, y) => x - y));
    const depth = new Map([
      [GAMING, 0],
      [a.id, 1],
      [b.id, 2],
      [d.id, 2],
      [c.id, 3],
    ]);
    const depths = gone.map((id) => depth.get(id)!);
    assert.deepEqual(depths, [...depths].sort((x, y) => y - x), `deepest first: ${gone.join(', ')}`);
    assert.equal(gone[0], c.id);
    assert.equal(gone.at(-1), GAMING);

    for (const id of gone) assert.equal(dir.get(id), undefined);
    assert.deepEqual(await ids(db), [LOBBY, MUSIC, AFK]);
    assert.deepEqual(await reloaded(db), byId(dir));
  });

  test('a leaf goes alone', async () => {
    const { db, dir } = await fresh();
    assert.deepEqual(dir.remove(db, AFK), [AFK]);
    assert.deepEqual(await ids(db), [LOBBY, GAMING, MUSIC]);
  });

  test('the root is a ConflictError, an unknown id a NotFoundError; nothing is removed', async () => {
    const { db, dir } = await fresh();
    assert.throws(() => dir.remove(db, LOBBY), ConflictError);
    assert.throws(() => dir.remove(db, 99), NotFoundError);
    assert.deepEqual(await ids(db), [LOBBY, GAMING, MUSIC, AFK]);
    assert.equal(dir.list().length, 4);
  });
});

describe('ChannelDirectory.subtree', () => {
  test('the channel and everything below it, each parent before its children', async () => {
    const { db, dir } = await fresh();
    const a = await dir.create(db, { name: 'a', parentId: MUSIC });
    const b = await dir.create(db, { name: 'b', parentId: a.id });
    const tree = dir.subtree(LOBBY);
    assert.deepEqual([...tree].sort((x, y) => x - y), [LOBBY, GAMING, MUSIC, AFK, a.id, b.id]);
    for (const id of tree) {
      const parent = dir.get(id)!.parentId;
      if (parent !== null) assert.ok(tree.indexOf(parent) < tree.indexOf(id), `${parent} before ${id}`);
    }
    assert.deepEqual(dir.subtree(AFK), [AFK]);
    assert.deepEqual(dir.subtree(MUSIC), [MUSIC, a.id, b.id]);
  });
});
