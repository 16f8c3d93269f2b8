-- As ../0010_channel_keys.sql.
ALTER TABLE deliveries ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET name = channel;
ALTER TABLE deliveries ADD COLUMN unanswered INTEGER NOT NULL DEFAULT 0;
