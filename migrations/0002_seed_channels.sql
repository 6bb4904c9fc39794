-- The default tree a fresh server starts with. Lobby is the root every new session lands in.
INSERT INTO channels (id, parent_id, name, position, bitrate, frame_samples) VALUES (1, NULL, 'Lobby', 0, 16000, 960);
INSERT INTO channels (id, parent_id, name, position, bitrate, frame_samples) VALUES (2, 1, 'Gaming', 0, 24000, 960);
INSERT INTO channels (id, parent_id, name, position, bitrate, frame_samples) VALUES (3, 1, 'Music', 1, 96000, 960);
INSERT INTO channels (id, parent_id, name, position, bitrate, frame_samples) VALUES (4, 1, 'AFK', 2, 16000, 960);
