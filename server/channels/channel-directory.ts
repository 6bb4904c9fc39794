/**
 * The channel tree as the control side sees it: loaded from the database at
 * start-up, read from memory on every join. Editing comes with the admin API.
 */
import type { ChannelInfo } from '../../shared/control/protocol.ts';
import type { FrameSamples } from '../../shared/voice/constants.ts';
import type { Database } from '../db/database.ts';

export class ChannelDirectory {
  #byId = new Map<number, ChannelInfo>();
  #rootId = 0;

  static async load(db: Database): Promise<ChannelDirectory> {
    const rows = await db.kysely.selectFrom('channels').selectAll().orderBy('parent_id').orderBy('position').orderBy('id').execute();
    const dir = new ChannelDirectory();
    for (const r of rows) {
      dir.#byId.set(r.id, {
        id: r.id,
        parentId: r.parent_id,
        name: r.name,
        position: r.position,
        maxUsers: r.max_users,
        config: { bitrate: r.bitrate, frameSamples: r.frame_samples as FrameSamples },
      });
    }
    const root = rows.find((r) => r.parent_id === null);
    if (!root) throw new Error('the channels table has no root channel (parent_id NULL)');
    dir.#rootId = root.id;
    return dir;
  }

  /** Where new sessions land. */
  get defaultChannelId(): number {
    return this.#rootId;
  }

  get(id: number): ChannelInfo | undefined {
    return this.#byId.get(id);
  }

  list(): ChannelInfo[] {
    return [...this.#byId.values()];
  }
}
