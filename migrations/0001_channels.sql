-- Channels: the tree users move through. Voice settings travel to clients as ChannelConfig.
CREATE TABLE channels (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  parent_id     INTEGER REFERENCES channels(id) ON DELETE CASCADE,
  name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  position      INTEGER NOT NULL DEFAULT 0,
  bitrate       INTEGER NOT NULL DEFAULT 16000 CHECK (bitrate BETWEEN 6000 AND 510000),
  frame_samples INTEGER NOT NULL DEFAULT 960 CHECK (frame_samples IN (480, 960, 1920, 2880)),
  max_users     INTEGER NOT NULL DEFAULT 0 CHECK (max_users >= 0),
  created_at    INTEGER NOT NULL DEFAULT (unixepoch())
);

CREATE INDEX channels_parent ON channels(parent_id);

-- Server-wide key/value facts (first start time, schema notes).
CREATE TABLE server_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

INSERT INTO server_meta (key, value) VALUES ('created_at', CAST(unixepoch() AS TEXT));
