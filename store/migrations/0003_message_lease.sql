-- A sender leases a pending message before handing it to the mail server,
-- so two processes (a daemon and a manual send) never send it at once.
ALTER TABLE messages ADD COLUMN lease_pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN lease_until INTEGER;
