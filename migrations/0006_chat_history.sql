-- The last messages of each channel, sent to users as they join. The server keeps at most
-- VOICE_CHAT_HISTORY rows per channel; created_at is ms since the Unix epoch (the chat clock).
CREATE TABLE chat_messages (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
  nickname   TEXT    NOT NULL,
  text       TEXT    NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE INDEX chat_messages_channel ON chat_messages(channel_id, id);
