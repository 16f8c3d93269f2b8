-- Nothing: PostgreSQL's search index now takes new and changed items in
-- batches too (postgres/0015_search_pending.sql), as SQLite's has since
-- 0014_search_batched.sql.
SELECT 1;
