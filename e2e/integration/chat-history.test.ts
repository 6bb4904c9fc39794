/**
 * Chat history against a real server (VOICE_CHAT_HISTORY=3): messages are
 * delivered live, someone who joins later gets the channel's last N as
 * `chat-history` (oldest first, that channel only), and the history outlives
 * a restart on the same data dir.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import {
  accountEnv,
  closeRawClients,
  makeTempDir,
  queryDataDir,
  rawControlClient,
  startTestServerIn,
  type RawControlClient,
  type TestServer,
} from './harness.ts';
import type { ChatHistoryEntry, ServerMessageOf } from '../../shared/control/protocol.ts';

const LOBBY = 1;
const GAMING = 2;
const MUSIC = 3;
const KEEP = 3;
const env = accountEnv({ VOICE_CHAT_HISTORY: String(KEEP) });

let dataDir = '';
let t: TestServer;

before(async () => {
  dataDir = await makeTempDir('voice-app-chat-');
  t = await startTestServerIn(dataDir, env);
});
after(async () => {
  closeRawClients();
  await t?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function connect(nickname: string): Promise<RawControlClient> {
  const c = await rawControlClient(t.server.url);
  const answer = await c.hello(nickname);
  assert.equal(answer.type, 'welcome', JSON.stringify(answer));
  return c;
}

/** Joins and returns the chat-history that follows the `joined`. */
async function join(c: RawControlClient, channelId: number): Promise<ServerMessageOf<'chat-history'>> {
  c.send({ type: 'join', channelId });
  await c.take('joined', (m) => m.channelId === channelId);
  return c.take('chat-history', (m) => m.channelId === channelId);
}

/** Sends a chat line and waits for the server's echo of it (so the next one is stored after it). */
async function say(c: RawControlClient, text: string): Promise<ServerMessageOf<'chat'>> {
  c.send({ type: 'chat', text });
  return c.take('chat', (m) => m.text === text);
}

function texts(entries: ChatHistoryEntry[]): string[] {
  return entries.map((e) => e.text);
}

test('a welcome is followed by the history of the channel the session lands in', async () => {
  const c = await connect('first-arrival');
  const history = await c.take('chat-history', (m) => m.channelId === LOBBY);
  assert.deepEqual(history.messages, [], 'nothing said yet');
  c.close();
});

test('messages are delivered live; a later joiner gets them as chat-history, oldest first, with sender and time', async () => {
  const alice = await connect('alice');
  const bob = await connect('bob');
  await join(alice, GAMING);
  await join(bob, GAMING);
  const sent = [await say(alice, 'hello gaming'), await say(bob, 'hi alice')];
  // Each was delivered live to the other.
  await bob.take('chat', (m) => m.text === 'hello gaming' && m.sender.nickname === 'alice' && m.channelId === GAMING);
  await alice.take('chat', (m) => m.text === 'hi alice' && m.sender.nickname === 'bob');

  const carol = await connect('carol');
  const history = await join(carol, GAMING);
  assert.deepEqual(
    history.messages.map((e) => [e.nickname, e.text, e.serverTime]),
    sent.map((m) => [m.sender.nickname, m.text, m.serverTime]),
  );
  assert.deepEqual(history.messages.map((e) => e.id), sent.map((m) => m.id), 'the ids the messages had as chat');
  assert.ok(history.messages[0]!.id < history.messages[1]!.id, 'oldest first');
  for (const c of [alice, bob, carol]) c.close();
});

test(`only the last ${KEEP} per channel are kept; the history outlives a restart; another channel's history is not sent`, async () => {
  const a = await connect('writer-a');
  const b = await connect('writer-b');
  await join(a, MUSIC);
  await join(b, MUSIC);
  // Two writers keep each inside the chatty burst (join + 3 lines, join + 2 lines).
  await say(a, 'music 1');
  await say(b, 'music 2');
  await say(a, 'music 3');
  await say(b, 'music 4');
  await say(a, 'music 5');

  const reader = await connect('reader');
  const music = await join(reader, MUSIC);
  assert.deepEqual(texts(music.messages), ['music 3', 'music 4', 'music 5']);
  const stored = queryDataDir<{ n: number }>(dataDir, 'SELECT count(*) AS n FROM chat_messages WHERE channel_id = ?', MUSIC);
  assert.ok(stored[0]!.n <= KEEP, `at most ${KEEP} rows kept for the channel, found ${stored[0]!.n}`);
  const gaming = await join(reader, GAMING);
  assert.deepEqual(texts(gaming.messages), ['hello gaming', 'hi alice'], 'Gaming has its own history');
  for (const c of [a, b, reader]) c.close();

  await t.close();
  t = await startTestServerIn(dataDir, env);
  const later = await connect('after-restart');
  const lobby = await later.take('chat-history', (m) => m.channelId === LOBBY);
  assert.deepEqual(lobby.messages, [], 'the Lobby history is still empty');
  assert.deepEqual(texts((await join(later, MUSIC)).messages), ['music 3', 'music 4', 'music 5']);
  assert.deepEqual(texts((await join(later, GAMING)).messages), ['hello gaming', 'hi alice']);
  // New lines after the restart go on from there.
  await say(later, 'after restart');
  const next = await connect('next-reader');
  assert.deepEqual(texts((await join(next, GAMING)).messages), ['hello gaming', 'hi alice', 'after restart']);
  later.close();
  next.close();
});
