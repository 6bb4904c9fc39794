/**
 * ControlConnection with a stand-in socket (an EventEmitter with ws's
 * send/close surface) over the real Gatekeeper, SessionManager, SQLite and
 * Argon2: what a hello decided across a password hash meets when it lands.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { CloseCode, PROTOCOL_VERSION, type ServerMessage } from '../../shared/control/protocol.ts';
import { AccountStore } from '../accounts/account-store.ts';
import { Gatekeeper } from '../auth/gatekeeper.ts';
import { LoginThrottle } from '../auth/login-throttle.ts';
import { passwordHasher } from '../auth/password-hash.ts';
import { BanList } from '../bans/ban-list.ts';
import { parseAddressRange } from '../bans/ip-range.ts';
import { ChannelDirectory } from '../channels/channel-directory.ts';
import { ChatHistory } from '../chat/chat-history.ts';
import { testDatabases } from '../db/test-databases.ts';
import { RelayShards } from '../shards/relay-shards.ts';
import { setLogLevel } from '../util/log.ts';
import { ControlConnection } from './control-connection.ts';
import { SessionManager } from './session-manager.ts';
import { waitFor } from '../../e2e/wait.ts';

const ADDRESS = '203.0.113.9';
const databases = testDatabases('control-connection');
before(() => setLogLevel('error'));

/** The part of a ws WebSocket that ControlConnection uses. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  readonly sent: ServerMessage[] = [];
  closedWith: number | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as ServerMessage);
  }
  close(code: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  ping(): void {}
  terminate(): void {
    this.readyState = 3;
  }
  receive(message: unknown): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }
}

async function world(resumeGraceMs = 0) {
  const db = await databases.fresh();
  const accounts = new AccountStore(db);
  const bans = await BanList.load(db);
  const channels = await ChannelDirectory.load(db);
  // Relay shards never started: no session here gets a peer, membership only fills their mirror.
  const relay = new RelayShards({ threads: 1, peer: { portRange: null, extraHostAddresses: [], announcedAddress: null, dtlsKeys: null }, logLevel: 'error' });
  const sessions = new SessionManager(channels, relay, new ChatHistory(db, 0), { serverName: 'test', resumeGraceMs });
  const gatekeeper = new Gatekeeper(accounts, bans, new LoginThrottle(), { allowGuests: true, allowRegistration: true });
  const counters = { connections: 0, messagesIn: 0, invalid: 0, rateLimited: 0, closedForAbuse: 0 };
  const connect = (address = ADDRESS): FakeSocket => {
    const ws = new FakeSocket();
    new ControlConnection(ws as unknown as WebSocket, address, sessions, gatekeeper, counters, 60_000);
    return ws;
  };
  return { accounts, bans, sessions, connect };
}

const until = (check: () => boolean, what: string): Promise<void> => waitFor(check, 20_000, what);

test('a ban on the address made while a registration is hashed refuses the hello: no session starts', async () => {
  const w = await world();
  const ws = w.connect();
  ws.receive({ type: 'hello', protocol: PROTOCOL_VERSION, nickname: 'newbie', password: 'long enough password', register: true });
  await until(() => passwordHasher.load.active > 0, 'the registration hash under way');
  const range = parseAddressRange(ADDRESS);
  assert.ok(!('error' in range));
  await w.bans.add({ userId: null, userName: null, range, reason: 'spam', createdBy: 'test', expiresAt: null });
  await until(() => ws.sent.length > 0, 'an answer to the hello');
  assert.deepEqual(ws.sent, [{ type: 'access-denied', reason: 'banned', message: 'you are banned from this server permanently: spam' }]);
  assert.equal(ws.closedWith, CloseCode.denied);
  assert.equal(w.sessions.size, 0);
});

test('a resume asks the bans only once its secret matches: a guessed token learns nothing about them', async () => {
  const w = await world(60_000);
  try {
    const first = w.connect();
    first.receive({ type: 'hello', protocol: PROTOCOL_VERSION, nickname: 'mallory', password: 'long enough password', register: true });
    await until(() => first.sent.some((m) => m.type === 'welcome'), 'the welcome');
    const welcome = first.sent.find((m) => m.type === 'welcome')!;
    assert.ok(welcome.type === 'welcome');
    const userId = [...w.sessions.sessions()][0]!.userId!;
    first.emit('close', 1006); // the lane is lost: the session waits in its grace
    await w.bans.add({ userId, userName: 'mallory', range: null, reason: 'cheating', createdBy: 'test', expiresAt: null });

    const guess = w.connect('198.51.100.1');
    guess.receive({ type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: welcome.sessionToken, resumeSecret: 'x'.repeat(43) });
    assert.deepEqual(guess.sent.map((m) => m.type === 'resume-denied' && m.reason), ['bad-secret']);

    const back = w.connect('198.51.100.1');
    back.receive({ type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: welcome.sessionToken, resumeSecret: welcome.resumeSecret });
    assert.deepEqual(back.sent, [{ type: 'access-denied', reason: 'banned', message: 'you are banned from this server permanently: cheating' }]);
    assert.equal(back.closedWith, CloseCode.denied);
    assert.equal(w.sessions.get(welcome.sessionToken)?.link, null, 'the session was not re-attached');
  } finally {
    w.sessions.closeAll();
  }
});
