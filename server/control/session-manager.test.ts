/**
 * SessionManager on a real, migrated database with real Argon2 and fake
 * control links (no sockets, no WebRTC): what the channel-password throttle
 * lets through when one address opens many sessions at once.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_VERSION, type ServerMessage } from '../../shared/control/protocol.ts';
import { ChannelDirectory } from '../channels/channel-directory.ts';
import { ChatHistory } from '../chat/chat-history.ts';
import { testDatabases } from '../db/test-databases.ts';
import { RelayShards } from '../shards/relay-shards.ts';
import { setLogLevel } from '../util/log.ts';
import { CHANNEL_PASSWORD_THROTTLE, SessionManager } from './session-manager.ts';
import type { ControlLink } from './session.ts';
import { waitFor } from '../../e2e/wait.ts';

const GAMING = 2; // seeded by migrations/0002_seed_channels.sql
const PASSWORD = 'open sesame';

const databases = testDatabases('session-manager');
before(() => setLogLevel('error'));

/** A control link that keeps what it is sent. */
function fakeLink(remoteAddress: string): ControlLink & { sent: ServerMessage[] } {
  const sent: ServerMessage[] = [];
  return {
    remoteAddress,
    sent,
    send: (m) => sent.push(m),
    sendRaw: (json) => sent.push(JSON.parse(json) as ServerMessage),
    close() {},
  };
}

/** Seeded channels, Gaming locked with PASSWORD; `threads` relay shards, never started: no session gets a peer, membership only fills their mirror. */
async function world({ threads = 1, resumeGraceMs = 0 } = {}): Promise<{ sessions: SessionManager; relay: RelayShards }> {
  const db = await databases.fresh();
  const channels = await ChannelDirectory.load(db);
  await channels.update(db, GAMING, { password: PASSWORD });
  const relay = new RelayShards({ threads, peer: { portRange: null, extraHostAddresses: [], announcedAddress: null, dtlsKeys: null }, logLevel: 'error' });
  return { sessions: new SessionManager(channels, relay, new ChatHistory(db, 0), { serverName: 'test', resumeGraceMs }), relay };
}

/** The first join answer a link got, as 'joined' or the denial's reason; undefined while there is none. */
function answer(link: { sent: ServerMessage[] }): string | undefined {
  for (const m of link.sent) {
    if (m.type === 'joined') return 'joined';
    if (m.type === 'join-denied') return m.reason;
  }
  return undefined;
}

async function answered(links: { sent: ServerMessage[] }[]): Promise<string[]> {
  await waitFor(() => links.every((l) => answer(l) !== undefined), 30_000, 'every join answered');
  return links.map((l) => answer(l)!);
}

test('20 sessions from one address guessing at once get 5 password checks between them, then the address waits', async () => {
  const { sessions } = await world();
  const allowance = CHANNEL_PASSWORD_THROTTLE.maxFailures!;
  const links = Array.from({ length: 20 }, () => fakeLink('203.0.113.7'));
  for (const [i, link] of links.entries()) {
    const s = sessions.create(link, { nickname: `guest${i}`, userId: null, role: 'guest' });
    sessions.join(s, { type: 'join', channelId: GAMING, password: `guess ${i}` });
  }
  const reasons = await answered(links);
  assert.equal(reasons.filter((r) => r === 'wrong-password').length, allowance, reasons.join());
  assert.equal(reasons.filter((r) => r === 'rate-limited').length, 20 - allowance, reasons.join());

  // The failures block the address (IPv4-mapped alike), even for the right password, in a new session.
  const late = fakeLink('::ffff:203.0.113.7');
  sessions.join(sessions.create(late, { nickname: 'late', userId: null, role: 'guest' }), { type: 'join', channelId: GAMING, password: PASSWORD });
  assert.deepEqual(await answered([late]), ['rate-limited']);
  // Another address is not affected.
  const other = fakeLink('198.51.100.9');
  sessions.join(sessions.create(other, { nickname: 'other', userId: null, role: 'guest' }), { type: 'join', channelId: GAMING, password: PASSWORD });
  assert.deepEqual(await answered([other]), ['joined']);
});

test('a session moved to another relay shard while in grace is asked for a new offer right after it resumes', async () => {
  const { sessions, relay } = await world({ threads: 2, resumeGraceMs: 60_000 });
  const MUSIC = 3; // seeded, no password
  try {
    const stay = sessions.create(fakeLink('198.51.100.1'), { nickname: 'stay', userId: null, role: 'guest' });
    const linkA = fakeLink('198.51.100.2');
    const a = sessions.create(linkA, { nickname: 'ann', userId: null, role: 'guest' });
    sessions.join(a, { type: 'join', channelId: MUSIC });
    await answered([linkA]);
    assert.notEqual(relay.shardOf(a.token), relay.shardOf(stay.token), 'Music went to the emptier shard');
    const welcome = linkA.sent.find((m) => m.type === 'welcome');
    assert.ok(welcome?.type === 'welcome');

    sessions.detach(a, linkA); // the control lane is gone; the session waits in grace
    sessions.channelsRemoved([MUSIC]); // an admin deletes Music: ann goes to the root, on the other shard
    assert.equal(relay.shardOf(a.token), relay.shardOf(stay.token));
    assert.equal(linkA.sent.filter((m) => m.type === 'rtc-renew').length, 1, 'only the renewal of the join itself went out on the old link');

    const linkB = fakeLink('198.51.100.2');
    assert.equal(sessions.resume(linkB, { type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: a.token, resumeSecret: welcome.resumeSecret }, () => true), a);
    assert.deepEqual(linkB.sent.map((m) => m.type).slice(0, 2), ['resumed', 'rtc-renew'], 'the renewal owed is sent right after resumed');
    assert.deepEqual(linkB.sent.filter((m) => m.type === 'rtc-renew'), [{ type: 'rtc-renew', reason: 'moved' }]);
  } finally {
    sessions.closeAll();
  }
});
