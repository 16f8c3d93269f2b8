-- Nothing: SQLite's search index now takes new items in batches
-- (../0014_search_batched.sql); PostgreSQL's item_search stays in step with
-- every write through its triggers.
SELECT 1;
