-- As ../0019_secret_keys.sql.
CREATE TABLE secret_keys (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
