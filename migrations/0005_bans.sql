-- Bans: by account, by address range, or both (a session matching either is refused).
-- The range is kept as text ('203.0.113.7/32', '2001:db8::/48'); the server parses it once at load.
-- user_name is a copy so a ban still reads well after the account is deleted.
-- Times are ms since the Unix epoch; expires_at NULL means permanent.
CREATE TABLE bans (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
  user_name  TEXT,
  address    TEXT,
  reason     TEXT    NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
  created_by TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  CHECK (user_name IS NOT NULL OR address IS NOT NULL)
);

CREATE INDEX bans_expires ON bans(expires_at);
