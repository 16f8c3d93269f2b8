-- Times are INTEGER nanoseconds since the Unix epoch, UTC; NULL means unknown
-- or never.

CREATE TABLE items (
    id         INTEGER PRIMARY KEY,
    key        TEXT    NOT NULL UNIQUE,
    link       TEXT    NOT NULL DEFAULT '',
    guid       TEXT    NOT NULL DEFAULT '',
    title      TEXT    NOT NULL DEFAULT '',
    summary    TEXT    NOT NULL DEFAULT '',
    content    TEXT    NOT NULL DEFAULT '',
    body       TEXT    NOT NULL DEFAULT '',
    published  INTEGER,
    first_seen INTEGER NOT NULL
);
CREATE INDEX items_first_seen ON items (first_seen);
CREATE INDEX items_date ON items (coalesce(published, first_seen));

-- Every source that carried an item; the lowest rowid is the first one.
CREATE TABLE item_sources (
    item_id    INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    source     TEXT    NOT NULL,
    first_seen INTEGER NOT NULL,
    UNIQUE (item_id, source)
);

-- One row per source: conditional GET validators and health from the last run.
CREATE TABLE sources (
    name          TEXT    PRIMARY KEY,
    etag          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL DEFAULT '',
    last_status   TEXT    NOT NULL DEFAULT '',
    last_run      INTEGER,
    last_success  INTEGER,
    last_error    TEXT    NOT NULL DEFAULT '',
    failing_since INTEGER,
    failures      INTEGER NOT NULL DEFAULT 0,
    duration      INTEGER NOT NULL DEFAULT 0,
    items         INTEGER NOT NULL DEFAULT 0
);

-- The outbox: one row per digest and schedule slot.
CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    digest        TEXT    NOT NULL,
    slot          INTEGER NOT NULL,
    message_id    TEXT    NOT NULL DEFAULT '',
    subject       TEXT    NOT NULL DEFAULT '',
    to_json       TEXT    NOT NULL DEFAULT '[]',
    text          TEXT    NOT NULL DEFAULT '',
    html          TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT '',
    next_attempt  INTEGER,
    created       INTEGER NOT NULL,
    sent          INTEGER,
    covered_until INTEGER,
    UNIQUE (digest, slot)
);
CREATE INDEX messages_status ON messages (status, created);

-- The items a message carries: its claim on them while pending or sent.
CREATE TABLE message_items (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    item_id    INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, item_id)
) WITHOUT ROWID;
CREATE INDEX message_items_item ON message_items (item_id, message_id);

-- Failed runs, kept for a while so a digest can list the sources that failed
-- since the previous one even when they have recovered since.
CREATE TABLE source_errors (
    source   TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    duration INTEGER NOT NULL,
    error    TEXT    NOT NULL
);
CREATE INDEX source_errors_at ON source_errors (at);
