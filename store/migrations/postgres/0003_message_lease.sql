-- As ../0003_message_lease.sql.
ALTER TABLE messages ADD COLUMN lease_pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN lease_until BIGINT;
