-- Leases with an owner and an expiry, so daemons on other machines can share
-- one database (PostgreSQL) and take over the work of one that died.
--   messages.lease_owner: the sender holding the message until lease_until,
--     which it renews while it sends.
--   leases: one row per unit of scheduled work (a source's fetch, a digest's
--     composition) for its latest slot; done once the work is finished.
ALTER TABLE messages ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
CREATE TABLE leases (
    name  TEXT    PRIMARY KEY,
    slot  INTEGER NOT NULL,
    owner TEXT    NOT NULL,
    until INTEGER NOT NULL,
    done  INTEGER NOT NULL DEFAULT 0
);
