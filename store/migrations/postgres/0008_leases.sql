-- As ../0006_leases.sql.
ALTER TABLE messages ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
CREATE TABLE leases (
    name  TEXT    PRIMARY KEY,
    slot  BIGINT  NOT NULL,
    owner TEXT    NOT NULL,
    until BIGINT  NOT NULL,
    done  INTEGER NOT NULL DEFAULT 0
);
