/**
 * Registered accounts in the `users` table. Names are unique without regard to
 * ASCII case (the column is COLLATE NOCASE). The password hash is read only by
 * `credentials()`; everything else returns Account, which never carries it.
 * The store keeps at least one admin: demoting or deleting the last one is a
 * ConflictError.
 */
import type { Role } from '../../shared/auth/roles.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DatabaseSchema } from '../db/schema.ts';
import { hashPassword } from '../auth/password-hash.ts';
import { ConflictError } from '../util/errors.ts';

export interface Account {
  id: number;
  name: string;
  role: Role;
  /** ms since the Unix epoch. */
  createdAt: number;
  lastLoginAt: number | null;
}

interface UserRow {
  id: number;
  name: string;
  role: Role;
  created_at: number;
  last_login_at: number | null;
}

const COLUMNS = ['id', 'name', 'role', 'created_at', 'last_login_at'] as const;

function toAccount(r: UserRow): Account {
  return { id: r.id, name: r.name, role: r.role, createdAt: r.created_at, lastLoginAt: r.last_login_at };
}

export class AccountStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async get(id: number): Promise<Account | undefined> {
    const r = await this.#db.kysely.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return r && toAccount(r);
  }

  async findByName(name: string): Promise<Account | undefined> {
    const r = await this.#db.kysely.selectFrom('users').select(COLUMNS).where('name', '=', name).executeTakeFirst();
    return r && toAccount(r);
  }

  /** The account and its stored hash, for a login. */
  async credentials(name: string): Promise<{ account: Account; passwordHash: string } | undefined> {
    const r = await this.#db.kysely.selectFrom('users').select([...COLUMNS, 'password_hash']).where('name', '=', name).executeTakeFirst();
    return r && { account: toAccount(r), passwordHash: r.password_hash };
  }

  async list(): Promise<Account[]> {
    const rows = await this.#db.kysely.selectFrom('users').select(COLUMNS).orderBy('name').execute();
    return rows.map(toAccount);
  }

  async countAdmins(): Promise<number> {
    const r = await this.#db.kysely.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('role', '=', 'admin').executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Creates an account; ConflictError if the name is taken (in any case).
   * Hashing may reject with BusyError (server/auth/password-hash.ts).
   */
  async create(name: string, password: string, role: Role, nowMs = Date.now()): Promise<Account> {
    if (await this.findByName(name)) throw new ConflictError(`the name "${name}" is already registered`);
    const passwordHash = await hashPassword(password);
    try {
      const r = await this.#db.kysely
        .insertInto('users')
        .values({ name, password_hash: passwordHash, role, created_at: nowMs })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return toAccount(r);
    } catch (error) {
      // Someone registered the name while this hash was computed.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConflictError(`the name "${name}" is already registered`);
      throw error;
    }
  }

  /** Changes a role; undefined for an unknown id, ConflictError when it would leave no admin. */
  async setRole(id: number, role: Role): Promise<Account | undefined> {
    return this.#db.kysely.transaction().execute(async (tx) => {
      const current = await tx.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
      if (!current) return undefined;
      if (current.role === 'admin' && role !== 'admin') await this.#keepAnAdmin(tx, id);
      const r = await tx.updateTable('users').set({ role }).where('id', '=', id).returning(COLUMNS).executeTakeFirstOrThrow();
      return toAccount(r);
    });
  }

  async setPassword(id: number, password: string): Promise<boolean> {
    const passwordHash = await hashPassword(password);
    const r = await this.#db.kysely.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).executeTakeFirst();
    return r.numUpdatedRows === 1n;
  }

  /**
   * Records a login; returns the account as it is now (its role may have
   * changed while the password was checked), or undefined if it is gone.
   */
  async touchLogin(id: number, nowMs = Date.now()): Promise<Account | undefined> {
    const r = await this.#db.kysely.updateTable('users').set({ last_login_at: nowMs }).where('id', '=', id).returning(COLUMNS).executeTakeFirst();
    return r && toAccount(r);
  }

  /** Deletes an account; false for an unknown id, ConflictError for the last admin. */
  async delete(id: number): Promise<boolean> {
    return this.#db.kysely.transaction().execute(async (tx) => {
      const current = await tx.selectFrom('users').select(['role']).where('id', '=', id).executeTakeFirst();
      if (!current) return false;
      if (current.role === 'admin') await this.#keepAnAdmin(tx, id);
      await tx.deleteFrom('users').where('id', '=', id).execute();
      return true;
    });
  }

  async #keepAnAdmin(tx: Transaction<DatabaseSchema>, id: number): Promise<void> {
    const others = await tx
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'admin')
      .where('id', '!=', id)
      .executeTakeFirstOrThrow();
    if (Number(others.n) === 0) throw new ConflictError('this is the last admin account: make another admin first');
  }
}
