-- The index on coalesce(published, first_seen) cost a cold fetch about fifty
-- random page writes per source batch (feeds' dates interleave). Queries
-- select by first_seen, which is indexed and only ever appended to; a query
-- bounded by published time alone scans the table.
DROP INDEX IF EXISTS items_date;
