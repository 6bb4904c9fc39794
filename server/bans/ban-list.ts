/**
 * Bans: by account, by address range, or both. All bans in force live in
 * memory (parsed once) and in the `bans` table; every `hello` and every login
 * asks `match`. Expired bans stop matching at once and are deleted lazily.
 */
import type { Database } from '../db/database.ts';
import { parseAddressRange, rangeContains, type AddressRange } from './ip-range.ts';

export interface Ban {
  id: number;
  userId: number | null;
  /** The banned account's name when the ban was made (kept if the account is deleted). */
  userName: string | null;
  /** Canonical CIDR text, e.g. '203.0.113.0/24'. */
  address: string | null;
  reason: string;
  createdBy: string | null;
  /** ms since the Unix epoch; expiresAt null is permanent. */
  createdAt: number;
  expiresAt: number | null;
}

export interface NewBan {
  userId: number | null;
  userName: string | null;
  range: AddressRange | null;
  reason: string;
  createdBy: string | null;
  expiresAt: number | null;
}

/** Who is asking to get in: an account (or none) and an address (or none, if it could not be parsed). */
export interface BanSubject {
  userId: number | null;
  address: Uint8Array | null;
}

/** What a ban is aimed at: an account, an address range, or both. */
export interface BanTarget {
  userId: number | null;
  range: AddressRange | null;
}

/** Whether a ban aimed at `target` covers `subject` (by account, or by address). */
export function banCovers(target: BanTarget, subject: BanSubject): boolean {
  if (subject.userId !== null && target.userId === subject.userId) return true;
  return target.range !== null && subject.address !== null && rangeContains(target.range, subject.address);
}

interface Entry {
  ban: Ban;
  /** What `match` hands to banCovers, made once (a hello must not allocate one per ban). */
  target: BanTarget;
}

export class BanList {
  readonly #db: Database;
  readonly #entries = new Map<number, Entry>();

  private constructor(db: Database) {
    this.#db = db;
  }

  static async load(db: Database, nowMs = Date.now()): Promise<BanList> {
    const list = new BanList(db);
    await db.kysely.deleteFrom('bans').where('expires_at', '<=', nowMs).execute();
    const rows = await db.kysely.selectFrom('bans').selectAll().orderBy('id').execute();
    for (const r of rows) {
      let range: AddressRange | null = null;
      if (r.address !== null) {
        const parsed = parseAddressRange(r.address);
        // A row the server itself wrote always parses; one edited by hand into nonsense must not ban everyone.
        if ('error' in parsed) throw new Error(`bans row ${r.id}: address "${r.address}": ${parsed.error}`);
        range = parsed;
      }
      list.#entries.set(r.id, {
        target: { userId: r.user_id, range },
        ban: {
          id: r.id,
          userId: r.user_id,
          userName: r.user_name,
          address: range?.text ?? null,
          reason: r.reason,
          createdBy: r.created_by,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
        },
      });
    }
    return list;
  }

  /** The first ban in force that matches the account or the address, or null. */
  match(subject: BanSubject, nowMs: number): Ban | null {
    for (const { ban, target } of this.#entries.values()) {
      if (ban.expiresAt !== null && ban.expiresAt <= nowMs) continue;
      if (banCovers(target, subject)) return ban;
    }
    return null;
  }

  /** Bans in force, newest first. */
  list(nowMs: number): Ban[] {
    const out: Ban[] = [];
    for (const { ban } of this.#entries.values()) if (ban.expiresAt === null || ban.expiresAt > nowMs) out.push(ban);
    return out.reverse();
  }

  async add(input: NewBan, nowMs = Date.now()): Promise<Ban> {
    if (input.userId === null && input.range === null) throw new TypeError('a ban needs an account or an address');
    if (input.userId !== null && input.userName === null) throw new TypeError('an account ban keeps the account name');
    const address = input.range?.text ?? null;
    const r = await this.#db.kysely
      .insertInto('bans')
      .values({
        user_id: input.userId,
        user_name: input.userName,
        address,
        reason: input.reason,
        created_by: input.createdBy,
        created_at: nowMs,
        expires_at: input.expiresAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const ban: Ban = {
      id: r.id,
      userId: input.userId,
      userName: input.userName,
      address,
      reason: input.reason,
      createdBy: input.createdBy,
      createdAt: nowMs,
      expiresAt: input.expiresAt,
    };
    this.#entries.set(ban.id, { ban, target: { userId: input.userId, range: input.range } });
    this.#sweep(nowMs);
    return ban;
  }

  /** Lifts a ban; false if there is none in force with that id. */
  async lift(id: number, nowMs = Date.now()): Promise<boolean> {
    const e = this.#entries.get(id);
    if (!e || (e.ban.expiresAt !== null && e.ban.expiresAt <= nowMs)) return false;
    await this.#db.kysely.deleteFrom('bans').where('id', '=', id).execute();
    this.#entries.delete(id);
    return true;
  }

  /** Forgets expired bans, from memory and from the table. */
  #sweep(nowMs: number): void {
    const expired: number[] = [];
    for (const [id, { ban }] of this.#entries) if (ban.expiresAt !== null && ban.expiresAt <= nowMs) expired.push(id);
    if (expired.length === 0) return;
    for (const id of expired) this.#entries.delete(id);
    this.#db.sqlite.prepare(`DELETE FROM bans WHERE id IN (${expired.map(() => '?').join(',')})`).run(...expired);
  }
}
