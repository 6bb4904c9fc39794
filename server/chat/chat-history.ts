/**
 * The last `keep` chat messages of each channel, in SQLite. Writes are
 * synchronous (better-sqlite3): a message gets its id, is stored and is pruned
 * in one step on the event loop, so ids follow the order messages were sent
 * and nothing interleaves. Ids are assigned here, not by the table, so a
 * message that could not be stored (full disk, or keep 0) still has an id no
 * later message reuses — clients de-duplicate by id. Across restarts this
 * holds by reserving ids in blocks (hi/lo): `server_meta.chat_id_ceiling`
 * records the highest id this or an earlier run may have handed out, one
 * write per ID_BLOCK messages, and a new run starts above it.
 */
import type { Statement } from 'better-sqlite3';
import type { ChatHistoryEntry } from '../../shared/control/protocol.ts';
import type { Database } from '../db/database.ts';

const ID_BLOCK = 1000;
const CEILING_KEY = 'chat_id_ceiling';

export interface ChatRecord {
  channelId: number;
  userId: number | null;
  nickname: string;
  text: string;
  /** ms since the Unix epoch. */
  createdAt: number;
}

export class ChatHistory {
  readonly keep: number;
  #lastId: number;
  /** Ids up to this one are reserved in server_meta for this run. */
  #ceiling: number;
  readonly #saveCeiling: Statement<[string, string]>;
  readonly #insert: Statement<[number, number, number | null, string, string, number]>;
  readonly #prune: Statement<[number, number, number]>;
  readonly #recent: Statement<[number, number], { id: number; nickname: string; text: string; created_at: number }>;
  /** Insert and prune as one transaction: one commit per message, not two. */
  readonly #store: (id: number, r: ChatRecord) => void;

  constructor(db: Database, keep: number) {
    if (!Number.isInteger(keep) || keep < 0) throw new TypeError('keep must be a whole number ≥ 0');
    this.keep = keep;
    const s = db.sqlite;
    const max = s.prepare('SELECT max(id) AS id FROM chat_messages').get() as { id: number | null };
    const seq = s.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'chat_messages'").get() as { seq: number } | undefined;
    const meta = s.prepare('SELECT value FROM server_meta WHERE key = ?').get(CEILING_KEY) as { value: string } | undefined;
    this.#lastId = Math.max(max.id ?? 0, seq?.seq ?? 0, Number(meta?.value ?? 0) || 0);
    this.#saveCeiling = s.prepare('INSERT INTO server_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.#ceiling = this.#lastId;
    this.#reserve(); // a database that cannot take this write fails start-up, as it should
    this.#insert = s.prepare('INSERT INTO chat_messages (id, channel_id, user_id, nickname, text, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#prune = s.prepare(
      'DELETE FROM chat_messages WHERE channel_id = ? AND id <= (SELECT id FROM chat_messages WHERE channel_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)',
    );
    this.#store = s.transaction((id: number, r: ChatRecord) => {
      this.#insert.run(id, r.channelId, r.userId, r.nickname, r.text, r.createdAt);
      this.#prune.run(r.channelId, r.channelId, this.keep);
    });
    this.#recent = s.prepare('SELECT id, nickname, text, created_at FROM chat_messages WHERE channel_id = ? ORDER BY id DESC LIMIT ?');
  }

  /**
   * Gives the message its id and stores it (unless keep is 0). Returns the id
   * and, if storing failed, the error: the caller still delivers the message.
   */
  append(record: ChatRecord): { id: number; error: Error | null } {
    const id = ++this.#lastId;
    try {
      if (id > this.#ceiling) this.#reserve();
      if (this.keep === 0) return { id, error: null };
      this.#store(id, record);
      return { id, error: null };
    } catch (error) {
      return { id, error: error as Error };
    }
  }

  #reserve(): void {
    const ceiling = this.#lastId + ID_BLOCK;
    this.#saveCeiling.run(CEILING_KEY, String(ceiling));
    this.#ceiling = ceiling;
  }

  /** The channel's stored messages, oldest first. */
  recent(channelId: number): ChatHistoryEntry[] {
    if (this.keep === 0) return [];
    const rows = this.#recent.all(channelId, this.keep);
    const out: ChatHistoryEntry[] = [];
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i]!;
      out.push({ id: r.id, nickname: r.nickname, text: r.text, serverTime: r.created_at });
    }
    return out;
  }
}
