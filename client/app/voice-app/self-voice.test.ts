import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SelfVoice } from './self-voice.ts';

const state = (s: SelfVoice) => ({ muted: s.muted, deafened: s.deafened });

test('deafen implies mute; undeafen restores the mute from before', () => {
  const s = new SelfVoice();
  s.toggleDeaf();
  assert.deepEqual(state(s), { muted: true, deafened: true });
  s.toggleDeaf();
  assert.deepEqual(state(s), { muted: false, deafened: false }, 'was unmuted before');
  s.toggleMute();
  s.toggleDeaf();
  s.toggleDeaf();
  assert.deepEqual(state(s), { muted: true, deafened: false }, 'was muted before');
});

test('unmuting while deafened undeafens too', () => {
  const s = new SelfVoice();
  s.toggleDeaf();
  s.toggleMute();
  assert.deepEqual(state(s), { muted: false, deafened: false });
});
