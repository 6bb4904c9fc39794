/**
 * The channel tree as the control side sees it: loaded from the database at
 * start-up, read from memory on every join. A channel's password hash stays
 * in here: what leaves is ChannelInfo with its `locked` flag, and the answer
 * to "does this password open it". `setPassword` writes the database and
 * memory together; other editing comes with the admin API.
 */
import type { ChannelInfo } from '../../shared/control/protocol.ts';
import type { FrameSamples } from '../../shared/voice/constants.ts';
import type { Database } from '../db/database.ts';
import { hashPassword, verifyPassword } from '../auth/password-hash.ts';

interface ChannelRecord {
  /** What clients see; replaced, never mutated, when the channel changes. */
  info: ChannelInfo;
  passwordHash: string | null;
}

export class ChannelDirectory {
  #byId = new Map<number, ChannelRecord>();
  #rootId = 0;

  static async load(db: Database): Promise<ChannelDirectory> {
    const rows = await db.kysely.selectFrom('channels').selectAll().orderBy('parent_id').orderBy('position').orderBy('id').execute();
    const dir = new ChannelDirectory();
    for (const r of rows) {
      dir.#byId.set(r.id, {
        info: {
          id: r.id,
          parentId: r.parent_id,
          name: r.name,
          position: r.position,
          maxUsers: r.max_users,
          config: { bitrate: r.bitrate, frameSamples: r.frame_samples as FrameSamples },
          locked: r.password_hash !== null,
        },
        passwordHash: r.password_hash,
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
    return this.#byId.get(id)?.info;
  }

  list(): ChannelInfo[] {
    return [...this.#byId.values()].map((r) => r.info);
  }

  /**
   * Whether `password` opens channel `id`: true for an open channel, false for
   * an unknown one or a wrong password. Rejects with BusyError when too many
   * password checks are already waiting (server/auth/password-hash.ts).
   */
  async checkPassword(id: number, password: string): Promise<boolean> {
    const record = this.#byId.get(id);
    if (!record) return false;
    if (record.passwordHash === null) return true;
    return verifyPassword(record.passwordHash, password);
  }

  /**
   * Locks channel `id` with `password`, or opens it with null: hashes, writes
   * the database, then updates memory (so clients told afterwards see the new
   * `locked`). Sessions already in the channel stay. TypeError for an unknown
   * channel or a password that is not 1–128 characters.
   */
  async setPassword(db: Database, id: number, password: string | null): Promise<ChannelInfo> {
    const record = this.#byId.get(id);
    if (!record) throw new TypeError(`no channel with id ${id}`);
    const passwordHash = password === null ? null : await hashPassword(password);
    const result = await db.kysely.updateTable('channels').set({ password_hash: passwordHash }).where('id', '=', id).executeTakeFirst();
    if (result.numUpdatedRows !== 1n) throw new Error(`channel ${id} is in memory but not in the database`);
    record.passwordHash = passwordHash;
    record.info = { ...record.info, locked: passwordHash !== null };
    return record.info;
  }
}
