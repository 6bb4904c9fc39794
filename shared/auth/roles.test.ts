import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROLES, roleAtLeast, roleRank } from './roles.ts';

test('roles are ordered guest < member < moderator < admin', () => {
  assert.deepEqual([...ROLES], ['guest', 'member', 'moderator', 'admin']);
  assert.ok(roleRank('guest') < roleRank('member') && roleRank('member') < roleRank('moderator') && roleRank('moderator') < roleRank('admin'));
  assert.equal(roleAtLeast('moderator', 'member'), true);
  assert.equal(roleAtLeast('member', 'moderator'), false);
  assert.equal(roleAtLeast('guest', 'guest'), true);
});
