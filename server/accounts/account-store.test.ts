/**
 * AccountStore on a real, migrated SQLite database with real Argon2id hashes:
 * names unique in any ASCII case (also when two registrations race), the hash
 * only ever leaving through credentials(), at least one admin kept through
 * setRole and delete, setPassword, touchLogin and list.
 *
 * Rows the test only needs to exist (for the admin rules, list order) are
 * written directly with a placeholder hash, so the Argon2 work stays at a few
 * hashes for the whole file.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Role } from '../../shared/auth/roles.ts';
import { AccountStore } from './account-store.ts';
import { verifyPassword } from '../auth/password-hash.ts';
import type { Database } from '../db/database.ts';
import { testDatabases } from '../db/test-databases.ts';
import { ConflictError } from '../util/errors.ts';

const NOW = 1_795_400_000_000;
const PLACEHOLDER_HASH = '$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g';

const { fresh: freshDb } = testDatabases('account-store');

/** An account row without Argon2 work (its password can never be verified). */
async function addRow(db: Database, name: string, role: Role): Promise<number> {
  const r = await db.kysely
    .insertInto('users')
    .values({ name, role, password_hash: PLACEHOLDER_HASH, created_at: NOW })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

async function userCount(db: Database): Promise<number> {
  return (await db.kysely.selectFrom('users').select('id').execute()).length;
}

describe('AccountStore.create', () => {
  test('stores an Argon2id hash and returns the account without it; found again by id and by name in any case', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    const alice = await store.create('Alice', 'correct horse', 'moderator', NOW);
    assert.deepEqual(alice, { id: alice.id, name: 'Alice', role: 'moderator', createdAt: NOW, lastLoginAt: null });

    assert.deepEqual(await store.get(alice.id), alice);
    assert.deepEqual(await store.findByName('alice'), alice);
    assert.deepEqual(await store.findByName('ALICE'), alice);
    assert.equal(await store.get(alice.id + 1), undefined);
    assert.equal(await store.findByName('alicia'), undefined);

    const creds = await store.credentials('aLiCe');
    assert.ok(creds);
    assert.deepEqual(creds.account, alice);
    assert.match(creds.passwordHash, /^\$argon2id\$v=19\$m=65536,t=3,p=1\$/);
    assert.ok(!creds.passwordHash.includes('correct horse'));
    assert.equal(await verifyPassword(creds.passwordHash, 'correct horse'), true);
    assert.equal(await verifyPassword(creds.passwordHash, 'Correct horse'), false);
    assert.equal(await store.credentials('bob'), undefined);
  });

  test('a name taken in any ASCII case is a ConflictError, and nothing is written', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    await addRow(db, 'Bob', 'member');
    for (const name of ['Bob', 'bob', 'BOB', 'bOb']) {
      await assert.rejects(store.create(name, 'another password', 'member', NOW), ConflictError, name);
    }
    assert.equal(await userCount(db), 1);
  });

  test('two registrations of one name racing each other: one account, the other a ConflictError', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    // Both pass the name check before either hash is done; the UNIQUE NOCASE column decides.
    const results = await Promise.allSettled([store.create('Zed', 'password one', 'member', NOW), store.create('zed', 'password two', 'member', NOW)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(lost[0]!.reason instanceof ConflictError, `rejected with ${String(lost[0]!.reason)}`);
    assert.equal(await userCount(db), 1);
  });

  test('a password the hasher refuses (empty) is a TypeError, and nothing is written', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    await assert.rejects(store.create('carol', '', 'member', NOW), TypeError);
    assert.equal(await userCount(db), 0);
  });
});

describe('AccountStore.list', () => {
  test('every account by name, ignoring ASCII case, without any hash', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    for (const [name, role] of [['carol', 'member'], ['Alice', 'admin'], ['bob', 'guest'], ['Dave', 'moderator']] as const) await addRow(db, name, role);
    const list = await store.list();
    assert.deepEqual(list.map((a) => a.name), ['Alice', 'bob', 'carol', 'Dave']);
    assert.deepEqual(list.map((a) => a.role), ['admin', 'guest', 'member', 'moderator']);
    for (const a of list) assert.deepEqual(Object.keys(a).sort(), ['createdAt', 'id', 'lastLoginAt', 'name', 'role']);
  });
});

describe('AccountStore.setRole', () => {
  test('changes a role; undefined for an unknown id', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    await addRow(db, 'root', 'admin');
    const erin = await addRow(db, 'erin', 'member');
    assert.deepEqual(await store.setRole(erin, 'moderator'), { id: erin, name: 'erin', role: 'moderator', createdAt: NOW, lastLoginAt: null });
    assert.equal((await store.get(erin))?.role, 'moderator');
    assert.equal(await store.setRole(9999, 'admin'), undefined);
  });

  test('demoting the last admin is a ConflictError and changes nothing; with a second admin it is allowed', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    const root = await addRow(db, 'root', 'admin');
    const erin = await addRow(db, 'erin', 'member');
    for (const role of ['moderator', 'member', 'guest'] as const) {
      await assert.rejects(store.setRole(root, role), ConflictError, role);
    }
    assert.equal((await store.get(root))?.role, 'admin');
    assert.equal((await store.setRole(root, 'admin'))?.role, 'admin', 'admin to admin keeps the count');
    assert.equal(await store.countAdmins(), 1);

    await store.setRole(erin, 'admin');
    assert.equal(await store.countAdmins(), 2);
    assert.equal((await store.setRole(root, 'member'))?.role, 'member');
    await assert.rejects(store.setRole(erin, 'member'), ConflictError, 'erin is now the last admin');
    assert.equal(await store.countAdmins(), 1);
  });
});

describe('AccountStore.delete', () => {
  test('false for an unknown id; true for an account, which is then gone', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    await addRow(db, 'root', 'admin');
    const frank = await addRow(db, 'frank', 'member');
    assert.equal(await store.delete(9999), false);
    assert.equal(await store.delete(frank), true);
    assert.equal(await store.get(frank), undefined);
    assert.equal(await store.findByName('frank'), undefined);
    assert.equal(await store.delete(frank), false);
  });

  test('deleting the last admin is a ConflictError and keeps the row; with another admin it is allowed', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    const root = await addRow(db, 'root', 'admin');
    await assert.rejects(store.delete(root), ConflictError);
    assert.equal((await store.get(root))?.name, 'root');

    const gina = await addRow(db, 'gina', 'admin');
    assert.equal(await store.delete(root), true);
    await assert.rejects(store.delete(gina), ConflictError, 'gina is now the last admin');
    assert.deepEqual((await store.list()).map((a) => a.name), ['gina']);
  });
});

describe('the last admin under concurrent changes', () => {
  test('two admins demoting or deleting each other at once: exactly one succeeds', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    const a = await addRow(db, 'admin-a', 'admin');
    const b = await addRow(db, 'admin-b', 'admin');
    const demotions = await Promise.allSettled([store.setRole(a, 'member'), store.setRole(b, 'member')]);
    assert.deepEqual(demotions.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    for (const r of demotions) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError);
    assert.equal(await store.countAdmins(), 1);

    const c = await addRow(db, 'admin-c', 'admin');
    const survivor = (await store.list()).find((x) => x.role === 'admin' && x.id !== c)!.id;
    const deletions = await Promise.allSettled([store.delete(survivor), store.delete(c)]);
    assert.deepEqual(deletions.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    for (const r of deletions) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError);
    assert.equal(await store.countAdmins(), 1);
  });
});

describe('AccountStore.setPassword', () => {
  test('replaces the hash: the new password verifies, the old one no longer does; false for an unknown id', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    const hank = await addRow(db, 'hank', 'member');
    assert.equal(await store.setPassword(hank, 'brand new password'), true);
    const creds = await store.credentials('hank');
    assert.ok(creds);
    assert.notEqual(creds.passwordHash, PLACEHOLDER_HASH);
    assert.equal(await verifyPassword(creds.passwordHash, 'brand new password'), true);
    assert.equal(await verifyPassword(creds.passwordHash, 'old password'), false);
    assert.equal(await store.setPassword(9999, 'brand new password'), false);
  });
});

describe('AccountStore.touchLogin', () => {
  test('records the login time on that account only', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    const ivy = await addRow(db, 'ivy', 'member');
    const jack = await addRow(db, 'jack', 'member');
    await store.touchLogin(ivy, NOW + 5000);
    assert.equal((await store.get(ivy))?.lastLoginAt, NOW + 5000);
    assert.equal((await store.get(jack))?.lastLoginAt, null);
    await store.touchLogin(ivy, NOW + 9000);
    assert.equal((await store.get(ivy))?.lastLoginAt, NOW + 9000);
  });

  test('returns the account as it is now, and undefined for one that is gone', async () => {
    const db = await freshDb();
    const store = new AccountStore(db);
    const kim = await addRow(db, 'kim', 'member');
    await db.kysely.updateTable('users').set({ role: 'moderator' }).where('id', '=', kim).execute();
    assert.deepEqual(await store.touchLogin(kim, NOW + 1), await store.get(kim));
    assert.deepEqual(await store.touchLogin(kim, NOW + 2), { id: kim, name: 'kim', role: 'moderator', createdAt: (await store.get(kim))!.createdAt, lastLoginAt: NOW + 2 });
    assert.equal(await store.touchLogin(9999, NOW), undefined);
  });
});
