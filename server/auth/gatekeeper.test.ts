/**
 * Gatekeeper against real parts: a migrated SQLite database, AccountStore,
 * BanList, LoginThrottle and real Argon2id. Covers the order of the checks in
 * `admit` (address ban first), registration, guests, and `login`: the same
 * answer for an unknown name and a wrong password, throttling per account and
 * per address (IPv4-mapped and IPv4 as one, IPv6 by /64), which key a good
 * login forgives, account bans after the password, and admins spared from
 * address bans on the admin API.
 *
 * Argon2 work is kept down: one hash of PASSWORD, made before the tests, is
 * written into every account row, and the throttle tests use a LoginThrottle
 * with maxFailures 3, except the one test of the default of 10.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Role } from '../../shared/auth/roles.ts';
import { Gatekeeper, REGISTRATION_THROTTLE, addressKey, type GatekeeperOptions } from './gatekeeper.ts';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle } from './login-throttle.ts';
import { hashPassword } from './password-hash.ts';
import { AccountStore } from '../accounts/account-store.ts';
import { BanList, type NewBan } from '../bans/ban-list.ts';
import { parseAddressRange } from '../bans/ip-range.ts';
import type { Database } from '../db/database.ts';
import { testDatabases } from '../db/test-databases.ts';
import { setLogLevel } from '../util/log.ts';

const NOW = 1_795_400_000_000;
const PASSWORD = 'the right password';
const WRONG = 'not the password';
const HOME = '198.51.100.7';
const ELSEWHERE = '203.0.113.50';
const BAD_CREDENTIALS = { ok: false, reason: 'bad-credentials', message: 'wrong name or password' } as const;

let passwordHash = '';
const databases = testDatabases('gatekeeper');
before(async () => {
  setLogLevel('warn'); // every failed login logs a line at info
  passwordHash = await hashPassword(PASSWORD);
});

interface World {
  db: Database;
  accounts: AccountStore;
  bans: BanList;
  throttle: LoginThrottle;
  gate: Gatekeeper;
  /** An account whose password is PASSWORD; returns its id. */
  addUser(name: string, role?: Role): Promise<number>;
  ban(input: Partial<NewBan> & { address?: string }): Promise<void>;
}

async function world(options: Partial<GatekeeperOptions> = {}, throttle = new LoginThrottle({ maxFailures: 3 })): Promise<World> {
  const db = await databases.fresh();
  const accounts = new AccountStore(db);
  const bans = await BanList.load(db, NOW);
  const gate = new Gatekeeper(accounts, bans, throttle, { allowGuests: true, allowRegistration: true, ...options });
  return {
    db,
    accounts,
    bans,
    throttle,
    gate,
    async addUser(name, role = 'member') {
      const r = await db.kysely.insertInto('users').values({ name, role, password_hash: passwordHash, created_at: NOW }).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    async ban({ address, ...rest }) {
      let range = null;
      if (address !== undefined) {
        const parsed = parseAddressRange(address);
        if ('error' in parsed) throw new Error(parsed.error);
        range = parsed;
      }
      await bans.add({ userId: null, userName: null, range, reason: '', createdBy: 'test', expiresAt: null, ...rest }, NOW);
    },
  };
}

describe('addressKey', () => {
  test('an IPv4 address and its IPv4-mapped form share one key', () => {
    assert.equal(addressKey('1.2.3.4'), 'addr:1.2.3.4');
    assert.equal(addressKey('::ffff:1.2.3.4'), 'addr:1.2.3.4');
    assert.equal(addressKey('::FFFF:1.2.3.4'), 'addr:1.2.3.4');
    assert.equal(addressKey('::ffff:102:304'), 'addr:1.2.3.4');
    assert.notEqual(addressKey('1.2.3.5'), addressKey('1.2.3.4'));
  });

  test('IPv6 addresses are keyed by their /64', () => {
    const key = addressKey('2001:db8:1:2::1');
    assert.equal(key, 'addr:2001:db8:1:2::/64');
    assert.equal(addressKey('2001:DB8:1:2:ffff:ffff:ffff:ffff'), key);
    assert.equal(addressKey('2001:0db8:0001:0002:abcd::9'), key);
    assert.notEqual(addressKey('2001:db8:1:3::1'), key);
    assert.equal(addressKey('::1'), 'addr:::/64');
  });

  test('text that is not an address is kept as it is', () => {
    assert.equal(addressKey(''), 'addr:');
    assert.equal(addressKey('unknown'), 'addr:unknown');
  });
});

describe('Gatekeeper.admit', () => {
  test('a banned address is refused before anything else is looked at', async () => {
    const w = await world();
    await w.addUser('alice');
    await w.ban({ address: '198.51.100.0/24', reason: 'flooding' });
    const banned = { ok: false, reason: 'banned', message: 'you are banned from this server permanently: flooding' };
    assert.deepEqual(await w.gate.admit({ nickname: 'guest1' }, HOME, NOW), banned);
    assert.deepEqual(await w.gate.admit({ nickname: 'alice', password: WRONG }, HOME, NOW), banned);
    assert.deepEqual(await w.gate.admit({ nickname: 'newbie', password: 'long enough password', register: true }, HOME, NOW), banned);
    assert.deepEqual(await w.gate.admit({ nickname: 'guest1' }, `::ffff:${HOME}`, NOW), banned, 'through a dual-stack socket too');
    assert.equal(await w.accounts.findByName('newbie'), undefined, 'no account was registered');
    assert.equal(w.throttle.size, 0, 'no password was checked, no failure counted');
    assert.deepEqual(await w.gate.admit({ nickname: 'guest1' }, ELSEWHERE, NOW), { ok: true, account: null });
  });

  test('a ban with an end says when it ends, as retryAfterMs', async () => {
    const w = await world();
    await w.ban({ address: HOME, expiresAt: NOW + 90 * 60_000 });
    assert.deepEqual(await w.gate.admit({ nickname: 'guest1' }, HOME, NOW + 30 * 60_000), {
      ok: false,
      reason: 'banned',
      message: `you are banned from this server until ${new Date(NOW + 90 * 60_000).toISOString().replace('T', ' ').slice(0, 16)} UTC`,
      retryAfterMs: 60 * 60_000,
    });
    assert.deepEqual(await w.gate.admit({ nickname: 'guest1' }, HOME, NOW + 90 * 60_000), { ok: true, account: null });
  });

  test('guests: admitted without an account under a free name', async () => {
    const w = await world();
    assert.deepEqual(await w.gate.admit({ nickname: 'visitor' }, HOME, NOW), { ok: true, account: null });
  });

  test('guests: a registered name, in any case, is refused', async () => {
    const w = await world();
    await w.addUser('Alice');
    for (const nickname of ['Alice', 'alice', 'ALICE']) {
      const d = await w.gate.admit({ nickname }, HOME, NOW);
      assert.equal(d.ok, false);
      assert.equal(!d.ok && d.reason, 'name-registered', nickname);
    }
  });

  test('guests: refused on a server that does not allow them', async () => {
    const w = await world({ allowGuests: false });
    const d = await w.gate.admit({ nickname: 'visitor' }, HOME, NOW);
    assert.equal(!d.ok && d.reason, 'guests-not-allowed');
  });

  test('register: refused when registration is closed, before the password is looked at', async () => {
    const w = await world({ allowRegistration: false });
    const d = await w.gate.admit({ nickname: 'newbie', password: 'long enough password', register: true }, HOME, NOW);
    assert.equal(!d.ok && d.reason, 'registration-closed');
    assert.equal(await w.accounts.findByName('newbie'), undefined);
  });

  test('register: a missing or short password is weak-password (8 characters at least)', async () => {
    const w = await world();
    for (const password of [undefined, '', '1234567']) {
      const d = await w.gate.admit({ nickname: 'newbie', password, register: true }, HOME, NOW);
      assert.equal(!d.ok && d.reason, 'weak-password', String(password));
    }
    assert.equal(await w.accounts.findByName('newbie'), undefined);
  });

  test('register: a name taken in any case is name-taken', async () => {
    const w = await world();
    await w.addUser('Alice');
    const d = await w.gate.admit({ nickname: 'aLIce', password: 'long enough password', register: true }, HOME, NOW);
    assert.deepEqual(d, { ok: false, reason: 'name-taken', message: 'the name "aLIce" is already registered' });
  });

  test('register: creates a member account, logged in now, and the password then logs in', async () => {
    const w = await world();
    const r = await w.gate.admit({ nickname: 'newbie', password: '12345678', register: true }, HOME, NOW);
    assert.ok(r.ok && r.account);
    assert.deepEqual(r.account, { id: r.account.id, name: 'newbie', role: 'member', createdAt: NOW, lastLoginAt: NOW });
    assert.deepEqual(await w.accounts.get(r.account.id), r.account);
    const again = await w.gate.admit({ nickname: 'NEWBIE', password: '12345678' }, HOME, NOW + 1);
    assert.equal(again.ok && again.account?.id, r.account.id);
  });

  test('register: an address blocked for failed logins cannot register either', async () => {
    const w = await world();
    for (let i = 0; i < 3; i++) w.throttle.fail(addressKey(HOME), NOW);
    const d = await w.gate.admit({ nickname: 'newbie', password: 'long enough password', register: true }, `::ffff:${HOME}`, NOW + 1000);
    assert.equal(!d.ok && d.reason, 'rate-limited');
    assert.equal(!d.ok && d.retryAfterMs, DEFAULT_LOGIN_THROTTLE.blockMs - 1000);
    assert.equal(await w.accounts.findByName('newbie'), undefined);
  });

  test('register: a burst from one address makes at most the allowance of accounts, and later ones wait too', async () => {
    const w = await world();
    const allowance = REGISTRATION_THROTTLE.maxFailures!;
    const n = allowance + 10;
    const verdicts = await Promise.all(
      Array.from({ length: n }, (_, i) => w.gate.admit({ nickname: `new${i}`, password: 'long enough password', register: true }, HOME, NOW)),
    );
    const reasons = verdicts.map((v) => (v.ok ? 'ok' : v.reason));
    assert.equal(reasons.filter((r) => r === 'ok').length, allowance, reasons.join());
    assert.equal(reasons.filter((r) => r === 'rate-limited').length, n - allowance, reasons.join());
    assert.equal((await w.accounts.list()).length, allowance, 'one row per registration let through');
    const later = await w.gate.admit({ nickname: 'later', password: 'long enough password', register: true }, `::ffff:${HOME}`, NOW + 60_000);
    assert.equal(!later.ok && later.message, 'too many registrations from this address: try again in 59 min');
    assert.equal((await w.gate.admit({ nickname: 'elsewhere', password: 'long enough password', register: true }, ELSEWHERE, NOW)).ok, true);
    // Registrations have their own allowance: the address may still log in.
    assert.equal((await w.gate.login(`new${reasons.indexOf('ok')}`, 'long enough password', HOME, NOW)).ok, true, 'logins from the address still work');
  });

  test('a hello with a password is a login', async () => {
    const w = await world();
    const id = await w.addUser('alice');
    const r = await w.gate.admit({ nickname: 'alice', password: PASSWORD }, HOME, NOW);
    assert.deepEqual(r, { ok: true, account: { id, name: 'alice', role: 'member', createdAt: NOW, lastLoginAt: NOW } });
    assert.deepEqual(await w.gate.admit({ nickname: 'alice', password: WRONG }, HOME, NOW), BAD_CREDENTIALS);
  });
});

describe('Gatekeeper.login', () => {
  test('a correct password returns the account and records the login time', async () => {
    const w = await world();
    const id = await w.addUser('Alice', 'moderator');
    const r = await w.gate.login('alice', PASSWORD, HOME, NOW + 5);
    assert.deepEqual(r, { ok: true, account: { id, name: 'Alice', role: 'moderator', createdAt: NOW, lastLoginAt: NOW + 5 } });
    assert.equal((await w.accounts.get(id))?.lastLoginAt, NOW + 5);
  });

  test('an unknown name and a wrong password get the same answer', async () => {
    const w = await world();
    await w.addUser('alice');
    const unknown = await w.gate.login('nobody', PASSWORD, HOME, NOW);
    const wrong = await w.gate.login('alice', WRONG, ELSEWHERE, NOW);
    assert.deepEqual(unknown, BAD_CREDENTIALS);
    assert.deepEqual(wrong, unknown);
  });

  test('the default throttle: 10 failures block the next attempt, even with the right password, for 5 minutes', async () => {
    const w = await world({}, new LoginThrottle());
    const id = await w.addUser('alice');
    for (let i = 1; i <= 10; i++) {
      assert.deepEqual(await w.gate.login('alice', `${WRONG} ${i}`, HOME, NOW + i), BAD_CREDENTIALS, `failure ${i}`);
    }
    const blockedAt = NOW + 10;
    assert.deepEqual(await w.gate.login('alice', PASSWORD, HOME, blockedAt + 1000), {
      ok: false,
      reason: 'rate-limited',
      message: 'too many failed logins: try again in 5 min',
      retryAfterMs: 300_000 - 1000,
    });
    const later = await w.gate.login('alice', PASSWORD, HOME, blockedAt + 299_999);
    assert.equal(!later.ok && later.retryAfterMs, 1);
    assert.equal((await w.accounts.get(id))?.lastLoginAt, null, 'no login happened while blocked');
    const free = await w.gate.login('alice', PASSWORD, HOME, blockedAt + 300_000);
    assert.equal(free.ok, true, 'the block ends after blockMs');
  });

  test('per account: failures from many addresses, under any case of the name, block that account everywhere', async () => {
    const w = await world();
    await w.addUser('alice');
    await w.addUser('bob');
    const fails = [
      ['alice', '192.0.2.1'],
      ['ALICE', '192.0.2.2'],
      ['Alice', '2001:db8:9::1'],
    ] as const;
    for (const [name, address] of fails) assert.deepEqual(await w.gate.login(name, WRONG, address, NOW), BAD_CREDENTIALS);
    const d = await w.gate.login('alice', PASSWORD, ELSEWHERE, NOW + 1);
    assert.equal(!d.ok && d.reason, 'rate-limited');
    assert.equal((await w.gate.login('bob', PASSWORD, ELSEWHERE, NOW + 1)).ok, true, 'the address is not blocked, another account gets in');
  });

  test('per address: failures on different names block the address, IPv4 and IPv4-mapped alike', async () => {
    const w = await world();
    await w.addUser('dave');
    await w.addUser('alice');
    assert.deepEqual(await w.gate.login('alice', WRONG, HOME, NOW), BAD_CREDENTIALS);
    assert.deepEqual(await w.gate.login('bob', WRONG, `::ffff:${HOME}`, NOW), BAD_CREDENTIALS);
    assert.deepEqual(await w.gate.login('carol', WRONG, HOME, NOW), BAD_CREDENTIALS);
    for (const address of [HOME, `::ffff:${HOME}`]) {
      const d = await w.gate.login('dave', PASSWORD, address, NOW + 1);
      assert.equal(!d.ok && d.reason, 'rate-limited', address);
    }
    assert.equal((await w.gate.login('dave', PASSWORD, ELSEWHERE, NOW + 1)).ok, true, 'the account is not blocked elsewhere');
  });

  test('per address: an IPv6 client is throttled by its /64, not by each address in it', async () => {
    const w = await world();
    await w.addUser('dave');
    for (const [i, address] of ['2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:2:ffff::c'].entries()) {
      assert.deepEqual(await w.gate.login(`user${i}`, WRONG, address, NOW), BAD_CREDENTIALS);
    }
    const d = await w.gate.login('dave', PASSWORD, '2001:db8:1:2:1234::1', NOW + 1);
    assert.equal(!d.ok && d.reason, 'rate-limited');
    assert.equal((await w.gate.login('dave', PASSWORD, '2001:db8:1:3::a', NOW + 1)).ok, true, 'the next /64 is another key');
  });

  test('parallel guesses count while in flight: a burst gets maxFailures checks, not one per queue slot', async () => {
    const w = await world(); // maxFailures 3
    await w.addUser('alice');
    const verdicts = await Promise.all(Array.from({ length: 12 }, (_, i) => w.gate.login('alice', `guess ${i}`, '203.0.113.50', NOW)));
    const reasons = verdicts.map((v) => (v.ok ? 'ok' : v.reason));
    assert.equal(reasons.filter((r) => r === 'bad-credentials').length, 3, reasons.join());
    assert.equal(reasons.filter((r) => r === 'rate-limited').length, 9);
    // The three failures then block the address for the full time.
    assert.ok(w.throttle.blockedFor(addressKey('203.0.113.50'), NOW) > 0);
    // A good login in flight beside others is forgiven its own count only.
    const v = await world(undefined, new LoginThrottle({ maxFailures: 3 }));
    await v.addUser('bob');
    const [good, bad] = await Promise.all([v.gate.login('bob', PASSWORD, '203.0.113.51', NOW), v.gate.login('bob', 'nope', '203.0.113.51', NOW)]);
    assert.equal(good.ok, true);
    assert.equal(bad.ok ? 'ok' : bad.reason, 'bad-credentials');
    assert.equal(v.throttle.blockedFor(addressKey('203.0.113.51'), NOW), 0);
  });

  test('the account returned is the row as it is after the check: a role changed or an account deleted meanwhile counts', async () => {
    const w = await world();
    const id = await w.addUser('alice', 'moderator');
    const duringHash = (): Promise<void> => new Promise((resolve) => setImmediate(resolve)); // the name is read; Argon2 runs
    const demoted = w.gate.login('alice', PASSWORD, HOME, NOW);
    await duringHash();
    await w.db.kysely.updateTable('users').set({ role: 'guest' }).where('id', '=', id).execute();
    assert.deepEqual(await demoted, { ok: true, account: { id, name: 'alice', role: 'guest', createdAt: NOW, lastLoginAt: NOW } });

    const deleted = w.gate.login('alice', PASSWORD, HOME, NOW + 1);
    await duringHash();
    await w.accounts.delete(id);
    assert.deepEqual(await deleted, BAD_CREDENTIALS);

    // At the admin API an admin is spared address bans; one demoted during the check is not.
    const root = await w.addUser('root', 'admin');
    await w.addUser('other-admin', 'admin');
    await w.ban({ address: HOME });
    const apiLogin = w.gate.login('root', PASSWORD, HOME, NOW, 'admin-api');
    await duringHash();
    await w.accounts.setRole(root, 'moderator');
    const d = await apiLogin;
    assert.equal(!d.ok && d.reason, 'banned');
  });

  test('a good login forgives the account its failures, but not the address', async () => {
    const w = await world();
    await w.addUser('alice');
    await w.addUser('bob');
    const A = '192.0.2.10';
    const B = '192.0.2.20';
    // alice: 2 failures from A (A: 2, alice: 2), then a good login from A (alice: 0, A: still 2).
    for (let i = 0; i < 2; i++) assert.deepEqual(await w.gate.login('alice', WRONG, A, NOW), BAD_CREDENTIALS);
    assert.equal((await w.gate.login('alice', PASSWORD, A, NOW)).ok, true);
    // Two more failures for alice from B would have blocked her (4 ≥ 3) had the count not been forgiven.
    for (let i = 0; i < 2; i++) assert.deepEqual(await w.gate.login('alice', WRONG, B, NOW), BAD_CREDENTIALS, `from B ${i}`);
    // One more failure from A on another name is A's third: A is blocked, for alice too.
    assert.deepEqual(await w.gate.login('bob', WRONG, A, NOW), BAD_CREDENTIALS);
    const d = await w.gate.login('alice', PASSWORD, A, NOW + 1);
    assert.equal(!d.ok && d.reason, 'rate-limited');
  });

  test('an account ban shows only after the right password; the login is not recorded', async () => {
    const w = await world();
    const id = await w.addUser('mallory');
    await w.ban({ userId: id, userName: 'mallory', reason: 'cheating' });
    assert.deepEqual(await w.gate.login('mallory', WRONG, HOME, NOW), BAD_CREDENTIALS, 'a guesser learns nothing about the ban');
    assert.deepEqual(await w.gate.login('mallory', PASSWORD, HOME, NOW), {
      ok: false,
      reason: 'banned',
      message: 'you are banned from this server permanently: cheating',
    });
    assert.equal((await w.accounts.get(id))?.lastLoginAt, null);
    // The same through a hello: the address is clean, so the account decides.
    const d = await w.gate.admit({ nickname: 'mallory', password: PASSWORD }, ELSEWHERE, NOW);
    assert.equal(!d.ok && d.reason, 'banned');
  });

  test('at the admin API an admin gets past an address ban, nobody else does, and an account ban still holds', async () => {
    const w = await world();
    await w.addUser('root', 'admin');
    await w.addUser('mod', 'moderator');
    const fallen = await w.addUser('fallen', 'admin');
    await w.ban({ address: '198.51.100.0/24' });
    await w.ban({ userId: fallen, userName: 'fallen' });

    assert.equal((await w.gate.login('root', PASSWORD, HOME, NOW, 'admin-api')).ok, true);
    const plain = await w.gate.login('root', PASSWORD, HOME, NOW);
    assert.equal(!plain.ok && plain.reason, 'banned', 'on the control lane an admin is held by the address ban');
    const mod = await w.gate.login('mod', PASSWORD, HOME, NOW, 'admin-api');
    assert.equal(!mod.ok && mod.reason, 'banned', 'a moderator is not spared');
    const banned = await w.gate.login('fallen', PASSWORD, ELSEWHERE, NOW, 'admin-api');
    assert.equal(!banned.ok && banned.reason, 'banned', 'only address bans are spared');
  });
});
