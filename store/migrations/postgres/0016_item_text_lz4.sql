-- An item's text is compressed with lz4 rather than pglz when it is
-- stored out of line or compressed (a row past about 2 KB): pglz was the
-- server's largest cost in a cold fetch, and lz4 compresses several times
-- faster for a little less saving. Values stored before keep their
-- compression until they are written again; both are read alike.
--
-- Only on a server that has lz4: PostgreSQL 14 or later built with it
-- (the lz4 value of default_toast_compression). Elsewhere the columns keep
-- the server's default and the migration does nothing. The statement is
-- run through EXECUTE so that an older server, which cannot parse it, never
-- sees it. pg_settings is named without its schema so that a test can
-- stand in a temporary view for it, as a server without lz4 would answer.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
            WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        EXECUTE 'ALTER TABLE items
            ALTER COLUMN title SET COMPRESSION lz4,
            ALTER COLUMN summary SET COMPRESSION lz4,
            ALTER COLUMN content SET COMPRESSION lz4,
            ALTER COLUMN body SET COMPRESSION lz4';
    END IF;
END $$;
