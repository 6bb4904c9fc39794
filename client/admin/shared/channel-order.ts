/**
 * Channels in tree order (each after its parent, siblings by position then
 * name) with their depth. A channel whose parent is missing, or that sits in a
 * loop, is listed at the end at depth 0 so it can still be seen and fixed.
 */
import type { Channel } from '../api/types.ts';

export interface PlacedChannel {
  channel: Channel;
  depth: number;
}

const bySiblingOrder = (a: Channel, b: Channel): number => a.position - b.position || a.name.localeCompare(b.name) || a.id - b.id;

export function channelOrder(channels: readonly Channel[]): PlacedChannel[] {
  const children = new Map<number | null, Channel[]>();
  const ids = new Set(channels.map((c) => c.id));
  for (const c of channels) {
    const parent = c.parentId !== null && ids.has(c.parentId) ? c.parentId : null;
    const list = children.get(parent) ?? [];
    list.push(c);
    children.set(parent, list);
  }
  const out: PlacedChannel[] = [];
  const seen = new Set<number>();
  const walk = (parent: number | null, depth: number): void => {
    for (const c of (children.get(parent) ?? []).sort(bySiblingOrder)) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      out.push({ channel: c, depth });
      walk(c.id, depth + 1);
    }
  };
  walk(null, 0);
  for (const c of channels) if (!seen.has(c.id)) out.push({ channel: c, depth: 0 });
  return out;
}

/** The channel and everything below it: what a delete removes, and what may not become its parent. */
export function subtreeIds(channels: readonly Channel[], rootId: number): Set<number> {
  const ids = new Set([rootId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const c of channels) {
      if (c.parentId !== null && ids.has(c.parentId) && !ids.has(c.id)) {
        ids.add(c.id);
        grew = true;
      }
    }
  }
  return ids;
}
