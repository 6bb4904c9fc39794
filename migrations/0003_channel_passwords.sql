-- Channel passwords: an Argon2id PHC string ($argon2id$v=19$m=…), NULL for an open channel.
-- Only the server reads it; clients see a channel's `locked` flag, never the hash.
ALTER TABLE channels ADD COLUMN password_hash TEXT CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%');
