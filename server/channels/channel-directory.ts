/**
 * The channel tree as the control side sees it: loaded from the database at
 * start-up, read from memory on every join. A channel's password hash stays
 * in here: what leaves is ChannelInfo with its `locked` flag, and the answer
 * to "does this password open it". Every change writes the database, then
 * memory, and returns what clients should be told; telling them is
 * SessionManager's job (it also moves people out of deleted channels).
 *
 * A change hashes its password first and only then checks and writes, with
 * no await from the check to the memory update: a delete or move made while
 * a password was hashed cannot slip between them (a parent gone, or a loop).
 */
import type { ChannelInfo } from '../../shared/control/protocol.ts';
import type { FrameSamples } from '../../shared/voice/constants.ts';
import type { Updateable } from 'kysely';
import { runNow, type Database } from '../db/database.ts';
import type { ChannelsTable } from '../db/schema.ts';
import type { Role } from '../../shared/auth/roles.ts';
import { hashPassword, verifyPassword } from '../auth/password-hash.ts';
import { ConflictError, NotFoundError } from '../util/errors.ts';

/** What the admin API may set on a channel. `password: null` opens it. */
export interface ChannelPatch {
  name?: string;
  parentId?: number;
  position?: number;
  maxUsers?: number;
  bitrate?: number;
  frameSamples?: FrameSamples;
  requiredRole?: Role;
  password?: string | null;
}

export type NewChannel = ChannelPatch & { name: string; parentId: number };

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
          requiredRole: r.required_role,
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

  get rootId(): number {
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
   * @deprecated `update(db, id, { password })`. Kept only until
   * e2e/browser/audio.test.ts stops calling it.
   */
  setPassword(db: Database, id: number, password: string | null): Promise<ChannelInfo> {
    return this.update(db, id, { password });
  }

  /** Creates a channel. NotFoundError (field `parentId`) for an unknown parent. */
  async create(db: Database, input: NewChannel): Promise<ChannelInfo> {
    const passwordHash = input.password == null ? null : await hashPassword(input.password);
    if (!this.#byId.has(input.parentId)) throw new NotFoundError(`no channel with id ${input.parentId}`, { field: 'parentId' });
    const [r] = runNow(
      db,
      db.kysely
        .insertInto('channels')
        .values({
          parent_id: input.parentId,
          name: input.name,
          position: input.position ?? 0,
          max_users: input.maxUsers ?? 0,
          bitrate: input.bitrate ?? 16_000,
          frame_samples: input.frameSamples ?? 960,
          required_role: input.requiredRole ?? 'guest',
          password_hash: passwordHash,
        })
        .returningAll(),
    );
    if (!r) throw new Error('INSERT … RETURNING returned no row');
    const record: ChannelRecord = {
      info: {
        id: r.id,
        parentId: r.parent_id,
        name: r.name,
        position: r.position,
        maxUsers: r.max_users,
        config: { bitrate: r.bitrate, frameSamples: r.frame_samples as FrameSamples },
        locked: passwordHash !== null,
        requiredRole: r.required_role,
      },
      passwordHash,
    };
    this.#byId.set(r.id, record);
    return record.info;
  }

  /**
   * Changes a channel: writes only the columns the patch names (the CLI may
   * have changed others in the database meanwhile, and an edit here must not
   * undo that), then memory. `password: null` opens the channel; sessions
   * already in it stay either way. NotFoundError for an unknown channel (or,
   * with field `parentId`, parent); ConflictError for a parent inside the
   * channel's own subtree or a parent for the root.
   */
  async update(db: Database, id: number, patch: ChannelPatch): Promise<ChannelInfo> {
    const newHash = patch.password == null ? null : await hashPassword(patch.password);
    const record = this.#byId.get(id);
    if (!record) throw new NotFoundError(`no channel with id ${id}`);
    if (patch.parentId !== undefined && patch.parentId !== record.info.parentId) {
      if (id === this.#rootId) throw new ConflictError('the root channel cannot have a parent');
      if (!this.#byId.has(patch.parentId)) throw new NotFoundError(`no channel with id ${patch.parentId}`, { field: 'parentId' });
      if (this.subtree(id).includes(patch.parentId)) throw new ConflictError('a channel cannot move into itself or one of its subchannels');
    }
    const passwordHash = patch.password === undefined ? record.passwordHash : newHash;
    const columns: Updateable<ChannelsTable> = {
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.parentId === undefined ? {} : { parent_id: patch.parentId }),
      ...(patch.position === undefined ? {} : { position: patch.position }),
      ...(patch.maxUsers === undefined ? {} : { max_users: patch.maxUsers }),
      ...(patch.bitrate === undefined ? {} : { bitrate: patch.bitrate }),
      ...(patch.frameSamples === undefined ? {} : { frame_samples: patch.frameSamples }),
      ...(patch.requiredRole === undefined ? {} : { required_role: patch.requiredRole }),
      ...(patch.password === undefined ? {} : { password_hash: passwordHash }),
    };
    if (Object.keys(columns).length === 0) return record.info;
    const next: ChannelInfo = {
      ...record.info,
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.parentId === undefined ? {} : { parentId: patch.parentId }),
      ...(patch.position === undefined ? {} : { position: patch.position }),
      ...(patch.maxUsers === undefined ? {} : { maxUsers: patch.maxUsers }),
      ...(patch.requiredRole === undefined ? {} : { requiredRole: patch.requiredRole }),
      config: {
        bitrate: patch.bitrate ?? record.info.config.bitrate,
        frameSamples: patch.frameSamples ?? record.info.config.frameSamples,
      },
      locked: passwordHash !== null,
    };
    const updated = runNow(db, db.kysely.updateTable('channels').set(columns).where('id', '=', id).returning('id'));
    if (updated.length !== 1) throw new Error(`channel ${id} is in memory but not in the database`);
    record.passwordHash = passwordHash;
    record.info = next;
    return next;
  }

  /**
   * Deletes a channel and its subchannels (the table cascades); returns their
   * ids, deepest first. NotFoundError for an unknown channel, ConflictError for the root.
   */
  remove(db: Database, id: number): number[] {
    if (!this.#byId.has(id)) throw new NotFoundError(`no channel with id ${id}`);
    if (id === this.#rootId) throw new ConflictError('the root channel cannot be deleted');
    const gone = this.subtree(id).reverse();
    runNow(db, db.kysely.deleteFrom('channels').where('id', '=', id));
    for (const g of gone) this.#byId.delete(g);
    return gone;
  }

  /** `id` and every channel below it, parents before children. */
  subtree(id: number): number[] {
    const out = [id];
    for (let i = 0; i < out.length; i++) {
      for (const r of this.#byId.values()) if (r.info.parentId === out[i]) out.push(r.info.id);
    }
    return out;
  }
}
