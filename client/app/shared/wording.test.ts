import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capitalise, sentence } from './wording.ts';

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
