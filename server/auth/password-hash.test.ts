/**
 * Argon2id hashing with the stated parameters, verification that never throws
 * for bad input, refusal of over-cost stored hashes, and the concurrency cap.
 * Real Argon2 at 64 MiB: each hash takes ~0.1–0.3 s, so the test computes few.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ARGON2_PARAMS, PasswordHasher, hashPassword, verifyPassword } from './password-hash.ts';
import { Semaphore } from '../util/semaphore.ts';
import { BusyError } from '../util/errors.ts';

let phc = '';
before(async () => {
  phc = await hashPassword('correct horse');
});

describe('password hashing', () => {
  test('a PHC string with Argon2id v19, m=64 MiB, t=3, p=1, a 16-byte salt and a 32-byte hash', () => {
    assert.ok(phc.startsWith('$argon2id$v=19$m=65536,t=3,p=1$'), phc);
    const [, , , , salt, digest] = phc.split('$');
    assert.ok(Buffer.from(salt!, 'base64').length >= 16, `salt ${salt}`);
    assert.equal(Buffer.from(digest!, 'base64').length, ARGON2_PARAMS.outputLen);
  });

  test('the same password hashes differently each time (random salt)', async () => {
    const again = await hashPassword('correct horse');
    assert.notEqual(again, phc);
    assert.notEqual(again.split('$')[4], phc.split('$')[4]);
  });

  test('verify: true for the password, false for another', async () => {
    assert.equal(await verifyPassword(phc, 'correct horse'), true);
    assert.equal(await verifyPassword(phc, 'correct horse '), false);
  });

  test('passwords are compared after NFC normalisation', async () => {
    // "é" precomposed (U+00E9) and decomposed (e + U+0301) are one password.
    const h = await hashPassword('caf\u00e9');
    assert.equal(await verifyPassword(h, 'cafe\u0301'), true);
  });

  test('malformed, foreign or over-cost hashes and non-string input give false, never a throw', async () => {
    const salt = Buffer.alloc(16, 1).toString('base64').replace(/=+$/, '');
    const digest = Buffer.alloc(32, 2).toString('base64').replace(/=+$/, '');
    const cases: unknown[] = [
      '',
      'garbage',
      '$argon2id$v=19$m=65536,t=3,p=1$',
      '$argon2id$v=19$m=65536,t=3,p=1$!!$!!',
      phc.slice(0, -5),
      '$2b$12$abcdefghijklmnopqrstuuJqIu6f2RwFZ3MwrxzGH1LF6Y3B.cW2', // bcrypt
      `$argon2i$v=19$m=65536,t=3,p=1$${salt}$${digest}`, // not Argon2id
      `$argon2id$v=16$m=65536,t=3,p=1$${salt}$${digest}`, // old version
      // Would need 4 TiB: refused before the library allocates anything.
      `$argon2id$v=19$m=4294967295,t=3,p=1$${salt}$${digest}`,
      `$argon2id$v=19$m=65536,t=100000,p=1$${salt}$${digest}`,
      'x'.repeat(10_000),
      null,
      42,
    ];
    for (const bad of cases) {
      assert.equal(await verifyPassword(bad as string, 'correct horse'), false, String(bad));
    }
    assert.equal(await verifyPassword(phc, null as unknown as string), false);
    assert.equal(await verifyPassword(phc, 'x'.repeat(129)), false);
  });

  test('hashing refuses an empty, over-long or non-string password with TypeError', async () => {
    await assert.rejects(hashPassword(''), TypeError);
    await assert.rejects(hashPassword('x'.repeat(129)), TypeError);
    await assert.rejects(hashPassword(undefined as unknown as string), TypeError);
  });

  test('at most `concurrency` hashes run at once; beyond the queue, BusyError', async () => {
    const gate = new Semaphore({ limit: 2, maxQueue: 2 });
    const hasher = new PasswordHasher({ semaphore: gate });
    const running = [1, 2, 3, 4].map((i) => hasher.verify(phc, i === 4 ? 'correct horse' : 'wrong'));
    assert.deepEqual(hasher.load, { active: 2, queued: 2 });
    await assert.rejects(hasher.verify(phc, 'correct horse'), BusyError);
    assert.deepEqual(await Promise.all(running), [false, false, false, true]);
    assert.equal(gate.peak, 2, 'never more than two in flight');
    assert.deepEqual(hasher.load, { active: 0, queued: 0 });
  });

  test('a refused hash costs no slot: bad input is answered before the queue', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, maxQueue: 0 });
    const busy = hasher.verify(phc, 'wrong');
    assert.equal(await hasher.verify('garbage', 'wrong'), false, 'not BusyError: never queued');
    await busy;
  });
});
