-- A digest leaves through channels: mail (the messages row's own status,
-- recipients, attempts and lease, as before) and each `notify` URL, which
-- has a row here, tried, retried and recorded apart from the others.
--   channel: the URL as shown to people (secret parts masked); the sender
--            finds the configured URL by it, so no secret is stored.
--   doc:     the JSON document of the digest, composed with it, which
--            webhooks receive and chat messages are rendered from.
-- A message without recipients takes its status from its channels: pending
-- while one is, sent once one had it, failed when every one failed.
ALTER TABLE messages ADD COLUMN doc TEXT NOT NULL DEFAULT '';
CREATE TABLE deliveries (
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    channel      TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    next_attempt INTEGER,
    sent         INTEGER,
    lease_pid    INTEGER NOT NULL DEFAULT 0,
    lease_until  INTEGER,
    PRIMARY KEY (message_id, channel)
);
CREATE INDEX deliveries_status ON deliveries (status, message_id);
