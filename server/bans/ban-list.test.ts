/**
 * BanList on a real, migrated SQLite database: account and address bans,
 * IPv4 ranges matching IPv4-mapped clients, expiry (stops matching at once,
 * swept from memory and table), lift, newest-first listing, and a reload that
 * gives back exactly what was written.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BanList, banCovers, type BanSubject, type NewBan } from './ban-list.ts';
import { parseAddress, parseAddressRange, type AddressRange } from './ip-range.ts';
import type { Database } from '../db/database.ts';
import { testDatabases } from '../db/test-databases.ts';

const NOW = 1_795_400_000_000;
const HOUR = 3_600_000;

const { fresh: freshDb } = testDatabases('ban-list');

/**
 * An account row, written directly: bans.user_id references users(id), and
 * BanList never reads the hash, so no Argon2 work is spent on a real one.
 */
async function addUser(db: Database, name: string): Promise<number> {
  const r = await db.kysely
    .insertInto('users')
    .values({ name, password_hash: '$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', created_at: NOW })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

function range(text: string): AddressRange {
  const r = parseAddressRange(text);
  if ('error' in r) throw new Error(`test range ${text}: ${r.error}`);
  return r;
}

function from(address: string, userId: number | null = null): BanSubject {
  const bytes = parseAddress(address);
  if (bytes === null) throw new Error(`test address ${address} does not parse`);
  return { userId, address: bytes };
}

function ban(overrides: Partial<NewBan>): NewBan {
  return { userId: null, userName: null, range: null, reason: '', createdBy: 'admin', expiresAt: null, ...overrides };
}

async function banRows(db: Database) {
  return db.kysely.selectFrom('bans').selectAll().orderBy('id').execute();
}

describe('BanList.add', () => {
  test('a ban needs an account or an address: TypeError, and nothing is written', async () => {
    const db = await freshDb();
    const bans = await BanList.load(db, NOW);
    await assert.rejects(bans.add(ban({ reason: 'nobody' }), NOW), TypeError);
    assert.deepEqual(await banRows(db), []);
    assert.deepEqual(bans.list(NOW), []);
  });

  test('returns the ban as stored, with the canonical CIDR text (host bits cleared)', async () => {
    const db = await freshDb();
    const bans = await BanList.load(db, NOW);
    const b = await bans.add(ban({ range: range('203.0.113.77/24'), reason: 'spam', createdBy: 'root', expiresAt: NOW + HOUR }), NOW);
    assert.deepEqual(b, {
      id: b.id,
      userId: null,
      userName: null,
      address: '203.0.113.0/24',
      reason: 'spam',
      createdBy: 'root',
      createdAt: NOW,
      expiresAt: NOW + HOUR,
    });
    const [row] = await banRows(db);
    assert.deepEqual(row, {
      id: b.id,
      user_id: null,
      user_name: null,
      address: '203.0.113.0/24',
      reason: 'spam',
      created_by: 'root',
      created_at: NOW,
      expires_at: NOW + HOUR,
    });
  });
});

describe('BanList.match', () => {
  test('an account ban matches that account from any address, and no other account', async () => {
    const db = await freshDb();
    const alice = await addUser(db, 'alice');
    const bob = await addUser(db, 'bob');
    const bans = await BanList.load(db, NOW);
    const b = await bans.add(ban({ userId: alice, userName: 'alice' }), NOW);
    assert.equal(bans.match(from('198.51.100.1', alice), NOW)?.id, b.id);
    assert.equal(bans.match({ userId: alice, address: null }, NOW)?.id, b.id);
    assert.equal(bans.match(from('198.51.100.1', bob), NOW), null);
    assert.equal(bans.match(from('198.51.100.1'), NOW), null, 'a guest at any address is not this account');
  });

  test('an IPv4 range matches plain and IPv4-mapped addresses inside it, and nothing outside', async () => {
    const db = await freshDb();
    const bans = await BanList.load(db, NOW);
    const b = await bans.add(ban({ range: range('10.20.0.0/16') }), NOW);
    for (const inside of ['10.20.0.0', '10.20.255.255', '10.20.3.4', '::ffff:10.20.3.4', '::FFFF:10.20.3.4', '::ffff:a14:304']) {
      assert.equal(bans.match(from(inside), NOW)?.id, b.id, inside);
    }
    for (const outside of ['10.21.0.0', '10.19.255.255', '11.20.3.4', '::ffff:10.21.3.4', '::10.20.3.4', '2001:db8::a14:304']) {
      assert.equal(bans.match(from(outside), NOW), null, outside);
    }
    assert.equal(bans.match({ userId: null, address: null }, NOW), null, 'an address that did not parse is matched by no range');
  });

  test('a single IPv4 address bans exactly that address, however the client reaches the socket', async () => {
    const db = await freshDb();
    const bans = await BanList.load(db, NOW);
    const b = await bans.add(ban({ range: range('192.0.2.7') }), NOW);
    assert.equal(b.address, '192.0.2.7/32');
    assert.equal(bans.match(from('192.0.2.7'), NOW)?.id, b.id);
    assert.equal(bans.match(from('::ffff:192.0.2.7'), NOW)?.id, b.id);
    assert.equal(bans.match(from('192.0.2.8'), NOW), null);
  });

  test('an IPv6 range matches its prefix only', async () => {
    const db = await freshDb();
    const bans = await BanList.load(db, NOW);
    const b = await bans.add(ban({ range: range('2001:db8:abcd::/48') }), NOW);
    assert.equal(b.address, '2001:db8:abcd::/48');
    assert.equal(bans.match(from('2001:db8:abcd:12::1'), NOW)?.id, b.id);
    assert.equal(bans.match(from('2001:DB8:ABCD:ffff:ffff:ffff:ffff:ffff'), NOW)?.id, b.id);
    assert.equal(bans.match(from('2001:db8:abce::1'), NOW), null);
    assert.equal(bans.match(from('10.0.0.1'), NOW), null);
  });

  test('either half of a subject is enough: a banned address catches an unbanned account', async () => {
    const db = await freshDb();
    const carol = await addUser(db, 'carol');
    const bans = await BanList.load(db, NOW);
    const b = await bans.add(ban({ range: range('198.51.100.0/24') }), NOW);
    assert.equal(bans.match(from('198.51.100.9', carol), NOW)?.id, b.id);
    assert.equal(bans.match(from('198.51.101.9', carol), NOW), null);
  });

  test('of several matching bans, the oldest in force is returned', async () => {
    const db = await freshDb();
    const dave = await addUser(db, 'dave');
    const bans = await BanList.load(db, NOW);
    const first = await bans.add(ban({ range: range('198.51.100.0/24'), expiresAt: NOW + HOUR }), NOW);
    const second = await bans.add(ban({ userId: dave, userName: 'dave' }), NOW);
    assert.equal(bans.match(from('198.51.100.9', dave), NOW)?.id, first.id);
    assert.equal(bans.match(from('198.51.100.9', dave), NOW + HOUR)?.id, second.id, 'once the first expires, the second answers');
  });

  test('an expiring ban matches until the millisecond before expiresAt and not from expiresAt on', async () => {
    const db = await freshDb();
    const bans = await BanList.load(db, NOW);
    const b = await bans.add(ban({ range: range('192.0.2.0/24'), expiresAt: NOW + HOUR }), NOW);
    const subject = from('192.0.2.1');
    assert.equal(bans.match(subject, NOW + HOUR - 1)?.id, b.id);
    assert.equal(bans.match(subject, NOW + HOUR), null);
    assert.equal(bans.match(subject, NOW + 2 * HOUR), null);
    assert.deepEqual(bans.list(NOW + HOUR - 1).map((x) => x.id), [b.id]);
    assert.deepEqual(bans.list(NOW + HOUR), []);
  });
});

describe('BanList.list', () => {
  test('bans in force, newest first; expired ones left out', async () => {
    const db = await freshDb();
    const bans = await BanList.load(db, NOW);
    const a = await bans.add(ban({ range: range('192.0.2.1') }), NOW);
    const short = await bans.add(ban({ range: range('192.0.2.2'), expiresAt: NOW + 10 }), NOW);
    const c = await bans.add(ban({ range: range('192.0.2.3'), expiresAt: NOW + HOUR }), NOW);
    assert.deepEqual(bans.list(NOW).map((x) => x.id), [c.id, short.id, a.id]);
    assert.deepEqual(bans.list(NOW + 10).map((x) => x.id), [c.id, a.id]);
  });
});

describe('banCovers', () => {
  test('whether a ban aimed at an account and/or a range covers a subject', () => {
    const erin = 5;
    const frank = 6;
    const byAccount = { userId: erin, range: null };
    const byRange = { userId: null, range: range('203.0.113.0/24') };
    assert.equal(banCovers(byAccount, from('192.0.2.1', erin)), true);
    assert.equal(banCovers(byAccount, from('203.0.113.5', frank)), false, 'the account only');
    assert.equal(banCovers(byRange, from('::ffff:203.0.113.5', frank)), true);
    assert.equal(banCovers(byRange, from('192.0.2.1', erin)), false, 'the range only');
    assert.equal(banCovers(byRange, { userId: frank, address: null }), false);
    assert.equal(banCovers({ userId: erin, range: range('203.0.113.0/24') }, from('203.0.113.9', frank)), true, 'both: either matches');
  });
});

describe('BanList.lift', () => {
  test('removes the ban from memory and table; a second lift, an unknown id or an expired ban give false', async () => {
    const db = await freshDb();
    const bans = await BanList.load(db, NOW);
    const b = await bans.add(ban({ range: range('192.0.2.0/24') }), NOW);
    const keep = await bans.add(ban({ range: range('198.51.100.0/24') }), NOW);
    const short = await bans.add(ban({ range: range('203.0.113.0/24'), expiresAt: NOW + 10 }), NOW);

    assert.equal(await bans.lift(b.id, NOW), true);
    assert.equal(bans.match(from('192.0.2.1'), NOW), null);
    assert.deepEqual((await banRows(db)).map((r) => r.id), [keep.id, short.id]);
    assert.equal(await bans.lift(b.id, NOW), false);
    assert.equal(await bans.lift(12345, NOW), false);
    assert.equal(await bans.lift(short.id, NOW + 10), false, 'an expired ban is not in force, so there is nothing to lift');

    const reloaded = await BanList.load(db, NOW);
    assert.deepEqual(reloaded.list(NOW).map((x) => x.id), [short.id, keep.id]);
  });
});

describe('BanList.load', () => {
  test('a reload gives back every ban in force exactly as added, in the same order', async () => {
    const db = await freshDb();
    const gina = await addUser(db, 'gina');
    const bans = await BanList.load(db, NOW);
    const added = [
      await bans.add(ban({ userId: gina, userName: 'gina', reason: 'rude', createdBy: 'mod' }), NOW),
      await bans.add(ban({ range: range('::ffff:10.0.0.0/104'), reason: 'v4 as mapped v6', expiresAt: NOW + HOUR }), NOW + 1),
      await bans.add(ban({ userId: gina, userName: 'gina', range: range('2001:db8::/32'), createdBy: null }), NOW + 2),
    ];
    assert.equal(added[1]!.address, '10.0.0.0/8', 'a mapped IPv6 range is written as its IPv4 range');
    const reloaded = await BanList.load(db, NOW + 3);
    assert.deepEqual(reloaded.list(NOW + 3), bans.list(NOW + 3));
    assert.deepEqual(reloaded.list(NOW + 3), [...added].reverse());
    assert.equal(reloaded.match(from('::ffff:10.9.9.9'), NOW + 3)?.id, added[1]!.id);
    assert.equal(reloaded.match(from('2001:db8::1'), NOW + 3)?.id, added[2]!.id);
  });

  test('deletes rows that have expired by then and keeps the rest', async () => {
    const db = await freshDb();
    const bans = await BanList.load(db, NOW);
    const gone = await bans.add(ban({ range: range('192.0.2.1'), expiresAt: NOW + HOUR }), NOW);
    const stays = await bans.add(ban({ range: range('192.0.2.2'), expiresAt: NOW + 2 * HOUR }), NOW);
    const permanent = await bans.add(ban({ range: range('192.0.2.3') }), NOW);
    const reloaded = await BanList.load(db, NOW + HOUR);
    assert.deepEqual((await banRows(db)).map((r) => r.id), [stays.id, permanent.id]);
    assert.equal(reloaded.match(from('192.0.2.1'), NOW + HOUR), null);
    assert.equal(await reloaded.lift(gone.id, NOW + HOUR), false);
  });

  test('a ban outlives its account: user_id goes null, the name stays', async () => {
    const db = await freshDb();
    const hank = await addUser(db, 'hank');
    const bans = await BanList.load(db, NOW);
    const b = await bans.add(ban({ userId: hank, userName: 'hank', reason: 'gone' }), NOW);
    await db.kysely.deleteFrom('users').where('id', '=', hank).execute();
    const reloaded = await BanList.load(db, NOW);
    assert.deepEqual(reloaded.list(NOW), [{ ...b, userId: null }]);
  });

  test('a hand-edited address that does not parse stops the load, naming the row', async () => {
    const db = await freshDb();
    db.sqlite.prepare("INSERT INTO bans (address, created_at) VALUES ('not-an-address/8', ?)").run(NOW);
    await assert.rejects(BanList.load(db, NOW), /bans row \d+: address "not-an-address\/8"/);
  });
});

describe('expired bans are swept on the next add', () => {
  test('from memory and from the table', async () => {
    const db = await freshDb();
    const bans = await BanList.load(db, NOW);
    const old = await bans.add(ban({ range: range('192.0.2.1'), expiresAt: NOW + 10 }), NOW);
    assert.deepEqual((await banRows(db)).map((r) => r.id), [old.id]);
    const fresh = await bans.add(ban({ range: range('192.0.2.2') }), NOW + 10);
    assert.deepEqual((await banRows(db)).map((r) => r.id), [fresh.id]);
    assert.ok(!bans.list(NOW).some((b) => b.id === old.id), 'the swept ban is forgotten (at NOW it would still be in force)');
  });
});
