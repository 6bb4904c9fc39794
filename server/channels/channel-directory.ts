/**
 * The channel tree as the control side sees it: loaded from the database at
 * start-up, read from memory on every join. A channel's password hash stays
 * in here: what leaves is ChannelInfo with its `locked` flag, and the answer
 * to "does this password open it". Every change writes the database, then
 * takes the row as stored into memory, and returns what clients should be
 * told; telling them is SessionManager's job (it also moves people out of
 * deleted channels).
 *
 * A change hashes its password first and only then checks and writes, with
 * no await from the check to the memory update: a delete or move made while
 * a password was hashed cannot slip between them (a parent gone, or a loop).
 */
import type { Selectable, Updateable } from 'kysely';
import type { ChannelInfo } from '../../shared/control/protocol.ts';
import type { FrameSamples } from '../../shared/voice/constants.ts';
import type { Role } from '../../shared/auth/roles.ts';
import { runNow, type Database } from '../db/database.ts';
import type { ChannelsTable } from '../db/schema.ts';
import { hashPassword, verifyPassword } from '../auth/password-hash.ts';
import { ConflictError, NotFoundError } from '../util/errors.ts';

/**
 * What the admin API may set on a channel; a field left out (or undefined)
 * stays as it is. `password: null` opens the channel.
 */
export interface ChannelPatch {
  name?: string | undefined;
  parentId?: number | undefined;
  position?: number | undefined;
  maxUsers?: number | undefined;
  bitrate?: number | undefined;
  frameSamples?: FrameSamples | undefined;
  requiredRole?: Role | undefined;
  password?: string | null | undefined;
}

/** A new channel: a name and a parent; the table's defaults fill the rest (position 0, no limit, 16 kb/s, 960 samples, anyone, open). */
export type NewChannel = ChannelPatch & { name: string; parentId: number };

interface ChannelRecord {
  /** What clients see; replaced, never mutated, when the channel changes. */
  readonly info: ChannelInfo;
  readonly passwordHash: string | null;
}

function toRecord(r: Selectable<ChannelsTable>): ChannelRecord {
  return {
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
  };
}

export class ChannelDirectory {
  #byId = new Map<number, ChannelRecord>();
  #rootId = 0;

  static async load(db: Database): Promise<ChannelDirectory> {
    const rows = await db.kysely.selectFrom('channels').selectAll().orderBy('parent_id').orderBy('position').orderBy('id').execute();
    const dir = new ChannelDirectory();
    for (const r of rows) dir.#byId.set(r.id, toRecord(r));
    const root = rows.find((r) => r.parent_id === null);
    if (!root) throw new Error('the channels table has no root channel (parent_id NULL)');
    dir.#rootId = root.id;
    return dir;
  }

  /** The root channel: where new sessions land, and where people in a deleted channel go. */
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

  /** Creates a channel. NotFoundError (field `parentId`) for an unknown parent. */
  async create(db: Database, input: NewChannel): Promise<ChannelInfo> {
    const passwordHash = input.password == null ? null : await hashPassword(input.password);
    if (!this.#byId.has(input.parentId)) throw new NotFoundError(`no channel with id ${input.parentId}`, { field: 'parentId' });
    // Kysely leaves out columns whose value is undefined: the table's defaults fill them.
    const [row] = runNow(
      db,
      db.kysely
        .insertInto('channels')
        .values({
          parent_id: input.parentId,
          name: input.name,
          position: input.position,
          max_users: input.maxUsers,
          bitrate: input.bitrate,
          frame_samples: input.frameSamples,
          required_role: input.requiredRole,
          password_hash: passwordHash,
        })
        .returningAll(),
    );
    if (!row) throw new Error('INSERT … RETURNING gave no row');
    const record = toRecord(row);
    this.#byId.set(row.id, record);
    return record.info;
  }

  /**
   * Changes a channel: writes only the columns the patch names (the CLI may
   * have changed others in the database meanwhile, and an edit here must not
   * undo that), then takes the whole row as stored into memory.
   * `password: null` opens the channel; sessions already in it stay either
   * way. NotFoundError for an unknown channel (or, with field `parentId`,
   * parent); ConflictError for a parent inside the channel's own subtree or a
   * parent for the root.
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
    // Kysely leaves out columns whose value is undefined: only what the patch names is written.
    const columns = {
      name: patch.name,
      parent_id: patch.parentId,
      position: patch.position,
      max_users: patch.maxUsers,
      bitrate: patch.bitrate,
      frame_samples: patch.frameSamples,
      required_role: patch.requiredRole,
      password_hash: patch.password === undefined ? undefined : newHash,
    } satisfies Updateable<ChannelsTable>;
    if (Object.values(columns).every((v) => v === undefined)) return record.info;
    const [row] = runNow(db, db.kysely.updateTable('channels').set(columns).where('id', '=', id).returningAll());
    if (!row) throw new Error(`channel ${id} is in memory but not in the database`);
    const next = toRecord(row);
    this.#byId.set(id, next);
    return next.info;
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
