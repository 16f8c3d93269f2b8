-- Console sessions logged out before they expired. A session cookie stays
-- valid across restarts and in every process on this database (it is
-- signed with a key derived from the console's token), so a logout is
-- kept here, where every process sees it, until the session would have
-- expired anyway.
CREATE TABLE ended_sessions (
    id      TEXT    PRIMARY KEY,
    expires BIGINT  NOT NULL
);
