-- Registered accounts. Guests are not stored: a session without an account has the role 'guest'.
-- Names are unique without regard to ASCII case ("Alice" reserves "alice"); password_hash is an
-- Argon2id PHC string; times are ms since the Unix epoch. An account may be given any role, including 'guest' (a muzzled account).
CREATE TABLE users (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT    NOT NULL COLLATE NOCASE UNIQUE CHECK (length(name) BETWEEN 1 AND 32),
  password_hash TEXT    NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  role          TEXT    NOT NULL DEFAULT 'member' CHECK (role IN ('guest', 'member', 'moderator', 'admin')),
  created_at    INTEGER NOT NULL,
  last_login_at INTEGER
);

-- The least role a session needs to join a channel. Existing channels stay open to everyone.
ALTER TABLE channels ADD COLUMN required_role TEXT NOT NULL DEFAULT 'guest'
  CHECK (required_role IN ('guest', 'member', 'moderator', 'admin'));
