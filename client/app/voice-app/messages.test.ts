import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Role } from '../../../shared/auth/roles.ts';
import { accessDeniedReasonSchema, type ServerMessageOf } from '../../../shared/control/protocol.ts';
import { ConnectError } from '../../net/connect-error.ts';
import { describeAccessDenied, describeBlocked, describeConnectFailure, describeRemoval, describeSessionEnd, channelRoleBadge, userRoleBadge } from './messages.ts';

const denied = (reason: string, message = 'refused', retryAfterMs?: number): ServerMessageOf<'access-denied'> => ({
  type: 'access-denied',
  reason,
  message,
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});
const removed = (reason: string, message: string, by: string | null): ServerMessageOf<'removed'> => ({ type: 'removed', reason, message, by });

test('connect failures are told apart by their reason code, not their wording', () => {
  const say = (e: ConnectError) => describeConnectFailure(e, 'example.org:4400', 'alice');
  // The same words under every code: only the code decides.
  const words = 'the server could not be reached';
  assert.equal(say(new ConnectError('unreachable', 'anything')), 'Server unreachable: nothing answered at example.org:4400. Check the address and port, and that the server is running.');
  assert.match(say(new ConnectError('protocol-version', 'this server speaks protocol 9, the client 1')), /^This server speaks a different protocol version \(this server speaks protocol 9, the client 1\)\. Reload the page/);
  assert.equal(say(new ConnectError('bad-address', "The URL 'ws://x:99999' is invalid.")), "Could not connect to example.org:4400: The URL 'ws://x:99999' is invalid.");
  assert.equal(say(new ConnectError('closed', words)), `The server refused the connection: ${words}.`);
  assert.equal(say(new ConnectError('denied', words)), `The server refused the connection: ${words}.`);
  assert.match(say(new ConnectError('denied', 'wrong name or password', { denial: denied('bad-credentials') })), /^Wrong name or password\./);
  assert.match(say(new ConnectError('denied', 'x', { denial: denied('name-registered') })), /^“alice” is a registered name/);
});

test('every access-denied reason has its own sentence', () => {
  const seen = new Set<string>();
  for (const reason of accessDeniedReasonSchema.options) {
    const text = describeAccessDenied(denied(reason, 'you are banned from this server permanently'), 'alice');
    assert.ok(text.length > 20, reason);
    assert.match(text, /[.]$/, `${reason}: a full sentence`);
    seen.add(text);
  }
  assert.equal(seen.size, accessDeniedReasonSchema.options.length, 'no two reasons read the same');
});

test('refusals name the nickname and the way out', () => {
  assert.match(describeAccessDenied(denied('name-registered'), 'alice'), /^“alice” is a registered name\. Enter its password/);
  assert.match(describeAccessDenied(denied('name-taken'), 'alice'), /already registered/);
  assert.match(describeAccessDenied(denied('weak-password'), 'alice'), /at least 8 characters/);
  assert.match(describeAccessDenied(denied('bad-credentials'), 'alice'), /^Wrong name or password\./);
});

test('rate-limited and banned say when to try again', () => {
  assert.equal(describeAccessDenied(denied('rate-limited', 'too many', 4 * 60_000 - 500), 'a'), 'Too many failed logins from here or for this name. Try again in 4 min.');
  assert.equal(describeAccessDenied(denied('rate-limited', 'too many'), 'a'), 'Too many failed logins from here or for this name. Wait a few minutes.');
  assert.equal(
    describeAccessDenied(denied('banned', 'you are banned from this server until 2026-11-24 12:00 UTC: spam', 2 * 3600_000), 'a'),
    'You are banned from this server until 2026-11-24 12:00 UTC: spam. You can connect again in 2 h.',
  );
  assert.equal(describeAccessDenied(denied('banned', ''), 'a'), 'You are banned from this server.');
  assert.equal(describeAccessDenied(denied('busy', 'busy', 3000), 'a'), 'The server is busy checking other passwords. Try again in 3 s.');
});

test('a reason newer than this client shows the server text', () => {
  assert.equal(describeAccessDenied(denied('maintenance', 'back at noon'), 'a'), 'The server refused the connection: Back at noon.');
  assert.equal(describeAccessDenied(denied('maintenance', ''), 'a'), 'The server refused the connection: maintenance');
});

test('kicks and bans say who, then the server\'s sentence with the reason', () => {
  assert.equal(describeRemoval(removed('kicked', 'you were kicked: calm down', 'admin')), 'Removed from the server by admin. You were kicked: calm down.');
  assert.equal(
    describeRemoval(removed('banned', 'you are banned from this server permanently: spam', 'mod')),
    'Removed from the server by mod. You are banned from this server permanently: spam.',
  );
  assert.equal(describeRemoval(removed('kicked', '', null)), 'Removed from the server. You were kicked.');
  assert.equal(describeRemoval(removed('banned', ' ', 'x')), 'Removed from the server by x. You are banned.');
  assert.equal(describeRemoval(removed('vanished', '', 'x')), 'Removed from the server by x.');
});

test('a session that ended otherwise says the session reason', () => {
  assert.equal(describeSessionEnd(null, 'a', 'the server went away'), 'Disconnected: the server went away.');
  assert.match(describeSessionEnd(removed('kicked', 'you were kicked: x', 'y'), 'a', 'ignored'), /^Removed from the server by y\. You were kicked: x\.$/);
  assert.match(describeSessionEnd(denied('rate-limited'), 'a', 'ignored'), /^Too many failed logins/);
});

test('role badges: channels name who may join, people show moderator and admin only', () => {
  assert.deepEqual([undefined, 'guest', 'member', 'moderator', 'admin'].map((r) => channelRoleBadge(r as Role | undefined)), [null, null, 'members', 'mods', 'admins']);
  assert.deepEqual([undefined, 'guest', 'member', 'moderator', 'admin'].map((r) => userRoleBadge(r as Role | undefined)), [null, null, null, 'mod', 'admin']);
});

test('a blocked server is named by its own page address, an IPv6 host bracketed once', () => {
  const g = globalThis as { location?: unknown };
  const before = g.location;
  g.location = { protocol: 'https:' };
  try {
    assert.match(describeBlocked({ host: 'voice.example', port: 8443 }), / Open https:\/\/voice\.example:8443\/ to use that server\.$/);
    assert.match(describeBlocked({ host: '::1', port: 8443 }), / Open https:\/\/\[::1\]:8443\/ to use/);
    assert.match(describeBlocked({ host: '[::1]', port: 8443 }), / Open https:\/\/\[::1\]:8443\/ to use/);
  } finally {
    g.location = before;
  }
});
