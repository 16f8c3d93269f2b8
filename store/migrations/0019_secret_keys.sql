-- Keys newswatch makes once and keeps, by name, so that every process on
-- this database uses the same one, also after a restart: the console
-- without a token signs its forms' CSRF tokens with "csrf", so a page
-- loaded before a restart can still be sent after it. value is base64.
CREATE TABLE secret_keys (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
