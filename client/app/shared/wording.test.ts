import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capitalise, describeWait, sentence } from './wording.ts';

test('waits are rounded up to the unit people use', () => {
  assert.equal(describeWait(0), '1 s');
  assert.equal(describeWait(1), '1 s');
  assert.equal(describeWait(45_000), '45 s');
  assert.equal(describeWait(59_001), '1 min');
  assert.equal(describeWait(60_000), '1 min');
  assert.equal(describeWait(3 * 60_000 + 1), '4 min');
  assert.equal(describeWait(5 * 60_000), '5 min');
  assert.equal(describeWait(59 * 60_000 + 1), '1 h');
  assert.equal(describeWait(60 * 60_000), '1 h');
  assert.equal(describeWait(90 * 60_000), '2 h');
  assert.equal(describeWait(47 * 3600_000), '47 h');
  assert.equal(describeWait(48 * 3600_000), '2 days');
  assert.equal(describeWait(86400_000 * 7 - 1), '7 days');
});

test('the server\'s clauses become sentences: capitalised, one full stop, empty stays empty', () => {
  assert.equal(sentence('wrong name or password'), 'Wrong name or password.');
  assert.equal(sentence('  you were kicked: calm down  '), 'You were kicked: calm down.');
  assert.equal(sentence('already done.'), 'Already done.');
  assert.equal(sentence('really?'), 'Really?');
  assert.equal(sentence('stop!'), 'Stop!');
  assert.equal(sentence('invalid request (name: too long)'), 'Invalid request (name: too long).');
  assert.equal(sentence(''), '');
  assert.equal(sentence('   '), '');
  assert.equal(capitalise('ab'), 'Ab');
  assert.equal(capitalise(''), '');
});
