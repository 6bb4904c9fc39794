/** One type per table, as Kysely sees them. Columns mirror migrations/*.sql. */
import type { Generated } from 'kysely';

export interface ChannelsTable {
  id: Generated<number>;
  parent_id: number | null;
  name: string;
  position: Generated<number>;
  bitrate: Generated<number>;
  frame_samples: Generated<number>;
  max_users: Generated<number>;
  created_at: Generated<number>;
  /** Argon2id PHC string; null for an open channel. Never leaves the server. */
  password_hash: string | null;
}

export interface ServerMetaTable {
  key: string;
  value: string;
}

export interface DatabaseSchema {
  channels: ChannelsTable;
  server_meta: ServerMetaTable;
}
