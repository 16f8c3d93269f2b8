-- As ../0013_message_held.sql.
ALTER TABLE messages ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
