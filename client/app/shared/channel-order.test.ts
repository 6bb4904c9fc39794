import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel } from '../../../shared/admin/api.ts';
import type { ChannelInfo } from '../../../shared/control/protocol.ts';
import { channelOrder, childrenByParent, subtreeIds } from './channel-order.ts';

const ch = (id: number, parentId: number | null, name: string, position = 0): Channel => ({
  id,
  parentId,
  name,
  position,
  maxUsers: 0,
  bitrate: 16000,
  frameSamples: 960,
  requiredRole: 'guest',
  locked: false,
});

test('tree order: parents first, siblings by position then name, with depth', () => {
  const list = [ch(4, 2, 'Raid'), ch(3, 1, 'Music', 1), ch(2, 1, 'Gaming', 0), ch(1, null, 'Lobby'), ch(5, 1, 'Art', 1)];
  assert.deepEqual(
    channelOrder(list).map((p) => `${'-'.repeat(p.depth)}${p.channel.name}`),
    ['Lobby', '-Gaming', '--Raid', '-Art', '-Music'],
  );
});

test('orphans and loops are still listed', () => {
  const list = [ch(1, null, 'Lobby'), ch(2, 9, 'Orphan'), ch(3, 4, 'A'), ch(4, 3, 'B')];
  assert.deepEqual(channelOrder(list).map((p) => p.channel.name).sort(), ['A', 'B', 'Lobby', 'Orphan']);
});

test('subtreeIds is the channel and all below it', () => {
  const list = [ch(1, null, 'Lobby'), ch(2, 1, 'G'), ch(3, 2, 'R'), ch(4, 3, 'S'), ch(5, 1, 'M')];
  assert.deepEqual([...subtreeIds(list, 2)].sort(), [2, 3, 4]);
});

test('childrenByParent: each parent\'s children sorted once; orphans at the top level; works on the roster\'s ChannelInfo', () => {
  const info = (id: number, parentId: number | null, name: string, position = 0): ChannelInfo => ({ id, parentId, name, position, maxUsers: 0, config: { bitrate: 16_000, frameSamples: 960 } });
  const children = childrenByParent(new Map([1, 2, 3, 4, 5].map((id) => [id, [info(1, null, 'Lobby'), info(2, 1, 'Music', 1), info(3, 1, 'Gaming'), info(4, 9, 'Orphan', 5), info(5, 1, 'Art', 1)][id - 1]!])).values());
  const names = (parent: number | null) => (children.get(parent) ?? []).map((c) => c.name);
  assert.deepEqual(names(null), ['Lobby', 'Orphan']);
  assert.deepEqual(names(1), ['Gaming', 'Art', 'Music']);
  assert.deepEqual(names(2), []);
});
