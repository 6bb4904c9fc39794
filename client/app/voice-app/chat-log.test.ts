import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessageOf } from '../../../shared/control/protocol.ts';
import { ChatLog } from './chat-log.ts';

const me = { sessionToken: 7, nickname: 'ann' };
const live = (id: number, channelId: number, nickname: string, serverTime: number, sessionToken = 9): ServerMessageOf<'chat'> => ({
  type: 'chat',
  id,
  channelId,
  sender: { sessionToken, nickname },
  text: `live ${id}`,
  serverTime,
});
const history = (channelId: number, entries: [id: number, nickname: string, serverTime: number][]): ServerMessageOf<'chat-history'> => ({
  type: 'chat-history',
  channelId,
  messages: entries.map(([id, nickname, serverTime]) => ({ id, nickname, text: `stored ${id}`, serverTime })),
});
const view = (log: ChatLog, channelId: number) => log.lines(channelId).map((l) => `${l.id}${l.history ? 'h' : ''}${l.mine ? '*' : ''}`);

test('history comes first, marked as history; live lines follow', () => {
  const log = new ChatLog();
  assert.equal(log.apply(history(1, [[3, 'bob', 300], [5, 'ann', 500]]), me), true);
  assert.equal(log.apply(live(6, 1, 'bob', 600), me), true);
  assert.equal(log.apply(live(7, 1, 'ann', 700, 7), me), true);
  assert.deepEqual(view(log, 1), ['3h', '5h*', '6', '7*'], 'mine: by nickname in history, by token live');
});

test('a message both live and in history appears once', () => {
  const log = new ChatLog();
  // A live message can race the history that also holds it (sent between joined and chat-history).
  log.apply(live(4, 1, 'bob', 400), me);
  log.apply(history(1, [[2, 'bob', 200], [4, 'bob', 400]]), me);
  assert.deepEqual(view(log, 1), ['2h', '4h']);
  assert.equal(log.apply(live(4, 1, 'bob', 400), me), false, 'a repeat changes nothing');
  assert.deepEqual(view(log, 1), ['2h', '4h']);
});

test('channels keep their own lines; coming back merges the new history with what was seen', () => {
  const log = new ChatLog();
  log.apply(history(1, [[1, 'bob', 100]]), me);
  log.apply(live(2, 1, 'bob', 200), me);
  log.apply(history(2, [[3, 'cy', 300]]), me);
  assert.deepEqual(view(log, 2), ['3h']);
  assert.deepEqual(view(log, 1), ['1h', '2']);
  // Back in channel 1: what was said there meanwhile is in its history, older lines are kept.
  log.apply(history(1, [[2, 'bob', 200], [4, 'bob', 400]]), me);
  assert.deepEqual(view(log, 1), ['1h', '2h', '4h']);
});

test('lines of one channel: the same array until they change', () => {
  const log = new ChatLog();
  log.apply(history(1, [[1, 'bob', 100]]), me);
  const before = log.lines(1);
  log.apply(live(2, 2, 'bob', 200), me);
  assert.equal(log.lines(1), before);
  log.apply(live(3, 1, 'bob', 300), me);
  assert.notEqual(log.lines(1), before);
  assert.deepEqual(log.lines(9), []);
});

test('a removed channel and a new session drop their lines', () => {
  const log = new ChatLog();
  log.apply(live(1, 1, 'bob', 100), me);
  log.apply(live(2, 2, 'bob', 200), me);
  assert.equal(log.apply({ type: 'channel-removed', channelId: 2 }, me), true);
  assert.deepEqual(view(log, 2), []);
  const welcome: ServerMessageOf<'welcome'> = { type: 'welcome', protocol: 1, serverName: 's', sessionToken: 7, channelId: 1, channels: [], users: [], resumeSecret: 'x', resumeGraceMs: 0, maxChatLength: 2000 };
  assert.equal(log.apply(welcome, me), true);
  assert.deepEqual(view(log, 1), []);
  assert.equal(log.apply(welcome, me), false, 'nothing left to drop');
});

test('at most maxLinesPerChannel lines, the newest kept', () => {
  const log = new ChatLog(3);
  log.apply(history(1, [[1, 'a', 1], [2, 'a', 2], [3, 'a', 3]]), me);
  log.apply(live(4, 1, 'a', 4), me);
  assert.deepEqual(view(log, 1), ['2h', '3h', '4']);
  log.apply(history(1, [[5, 'a', 5], [6, 'a', 6], [7, 'a', 7], [8, 'a', 8]]), me);
  assert.deepEqual(view(log, 1), ['6h', '7h', '8h']);
  assert.throws(() => new ChatLog(0), TypeError);
});
