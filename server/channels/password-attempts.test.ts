import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PasswordAttempts } from './password-attempts.ts';

test('5 wrong passwords at once, then one every 12 s, per key', () => {
  const p = new PasswordAttempts();
  for (let i = 0; i < 5; i++) {
    assert.equal(p.msUntil('a', 0), 0);
    p.fail('a', 0);
  }
  assert.equal(p.msUntil('a', 0), 12_000);
  assert.equal(p.msUntil('b', 0), 0, 'another address is not affected');
  assert.equal(p.msUntil('a', 12_000), 0);
  p.fail('a', 12_000);
  assert.ok(p.msUntil('a', 12_000) > 0);
});

test('a full table drops refilled buckets first, then the oldest', () => {
  const p = new PasswordAttempts(2);
  p.fail('old', 0);
  for (let i = 0; i < 5; i++) p.fail('cooling', 100_000);
  p.fail('new', 100_000); // 'old' has refilled by now: it goes, 'cooling' stays
  assert.equal(p.size, 2);
  assert.equal(p.msUntil('cooling', 100_000), 12_000);
  for (let i = 0; i < 5; i++) p.fail('new', 100_000);
  p.fail('newest', 100_000); // nothing refilled: the oldest ('cooling') goes
  assert.equal(p.size, 2);
  assert.equal(p.msUntil('cooling', 100_000), 0);
  assert.ok(p.msUntil('new', 100_000) > 0);
});
