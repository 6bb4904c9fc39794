import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel } from '../api/types.ts';
import { createFields, formFromChannel, newChannelForm, patchFields } from './channel-fields.ts';

const gaming: Channel = {
  id: 2,
  parentId: 1,
  name: 'Gaming',
  position: 0,
  maxUsers: 0,
  bitrate: 24000,
  frameSamples: 960,
  requiredRole: 'guest',
  locked: true,
};

test('an unchanged form patches nothing; "keep" leaves the password alone', () => {
  assert.deepEqual(patchFields(gaming, formFromChannel(gaming)), {});
});

test('patch carries only what changed, the bitrate in bit/s, and null to clear the password', () => {
  const f = { ...formFromChannel(gaming), name: ' Games ', bitrateKbps: 32, passwordMode: 'clear' as const };
  assert.deepEqual(patchFields(gaming, f), { name: 'Games', bitrate: 32000, password: null });
  assert.deepEqual(patchFields(gaming, { ...formFromChannel(gaming), passwordMode: 'set', password: 'pw' }), { password: 'pw' });
});

test('create sends every field, and the password only when one is set', () => {
  const f = { ...newChannelForm(1), name: 'Raid', maxUsers: 10 };
  assert.deepEqual(createFields(f), { name: 'Raid', parentId: 1, position: 0, maxUsers: 10, bitrate: 16000, requiredRole: 'guest' });
  assert.equal(createFields({ ...f, passwordMode: 'set', password: 'hunter22' }).password, 'hunter22');
});
