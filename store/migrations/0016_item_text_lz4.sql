-- Nothing: PostgreSQL compresses the items' text with lz4 where it can
-- (postgres/0016_item_text_lz4.sql); SQLite does not compress rows.
SELECT 1;
