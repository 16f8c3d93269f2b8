-- held: 1 while the message's last try failed on the mail settings (the
-- server refused the login, the password variable was unset, TLS could not
-- be set up as configured): it waits for the user's fix rather than for
-- the server, is never given up, and makes the health check fail. A try
-- that fails for another reason, or succeeds, sets it back to 0.
ALTER TABLE messages ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
