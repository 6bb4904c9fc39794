/** One type per table, as Kysely sees them. Columns mirror migrations/*.sql. */
import type { Generated } from 'kysely';
import type { Role } from '../../shared/auth/roles.ts';

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
  required_role: Generated<Role>;
}

export interface UsersTable {
  id: Generated<number>;
  name: string;
  /** Argon2id PHC string. Never leaves the server. */
  password_hash: string;
  role: Generated<Role>;
  /** ms since the Unix epoch, as every time in these tables but channels.created_at. */
  created_at: number;
  last_login_at: number | null;
}

export interface BansTable {
  id: Generated<number>;
  user_id: number | null;
  user_name: string | null;
  /** CIDR text, e.g. '203.0.113.0/24'. */
  address: string | null;
  reason: Generated<string>;
  created_by: string | null;
  created_at: number;
  expires_at: number | null;
}

export interface ChatMessagesTable {
  id: Generated<number>;
  channel_id: number;
  user_id: number | null;
  nickname: string;
  text: string;
  /** ms since the Unix epoch. */
  created_at: number;
}

export interface ServerMetaTable {
  key: string;
  value: string;
}

export interface DatabaseSchema {
  channels: ChannelsTable;
  server_meta: ServerMetaTable;
  users: UsersTable;
  bans: BansTable;
  chat_messages: ChatMessagesTable;
}
