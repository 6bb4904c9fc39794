/**
 * Channels in tree order, for the app's channel tree and the admin panel:
 * siblings by position, then name, then id; each channel after its parent. A
 * channel whose parent is missing sits at the top level; one in a parent loop
 * is unreachable from it, and channelOrder lists it at the end (depth 0) so it
 * can still be seen and fixed. Generic over the fields it needs, so both the
 * control protocol's ChannelInfo and the admin API's Channel fit.
 */

export interface TreeChannel {
  id: number;
  parentId: number | null;
  position: number;
  name: string;
}

export interface PlacedChannel<C extends TreeChannel> {
  channel: C;
  depth: number;
}

export function bySiblingOrder(a: TreeChannel, b: TreeChannel): number {
  return a.position - b.position || a.name.localeCompare(b.name) || a.id - b.id;
}

/** Each parent's children in sibling order (null: the top level, orphans included); one pass and one sort per parent. */
export function childrenByParent<C extends TreeChannel>(channels: Iterable<C>): Map<number | null, C[]> {
  const all = [...channels];
  const ids = new Set(all.map((c) => c.id));
  const children = new Map<number | null, C[]>();
  for (const c of all) {
    const parent = c.parentId !== null && ids.has(c.parentId) ? c.parentId : null;
    const list = children.get(parent);
    if (list) list.push(c);
    else children.set(parent, [c]);
  }
  for (const list of children.values()) list.sort(bySiblingOrder);
  return children;
}

/** Every channel once, in tree order, with its depth. */
export function channelOrder<C extends TreeChannel>(channels: readonly C[]): PlacedChannel<C>[] {
  const children = childrenByParent(channels);
  const out: PlacedChannel<C>[] = [];
  const seen = new Set<number>();
  const walk = (parent: number | null, depth: number): void => {
    for (const c of children.get(parent) ?? []) {
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
export function subtreeIds(channels: readonly Pick<TreeChannel, 'id' | 'parentId'>[], rootId: number): Set<number> {
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
