-- As ../0007_deliveries.sql: one row per message and notify channel.
ALTER TABLE messages ADD COLUMN doc TEXT NOT NULL DEFAULT '';
CREATE TABLE deliveries (
    message_id   BIGINT  NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    channel      TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    next_attempt BIGINT,
    sent         BIGINT,
    lease_pid    INTEGER NOT NULL DEFAULT 0,
    lease_until  BIGINT,
    PRIMARY KEY (message_id, channel)
);
CREATE INDEX deliveries_status ON deliveries (status, message_id);
