-- As ../0002_drop_items_date.sql: queries select by first_seen.
DROP INDEX IF EXISTS items_date;
