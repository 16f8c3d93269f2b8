-- Nothing: SQLite's search index has folded accents and case since
-- 0011_search.sql (unicode61 remove_diacritics 2); PostgreSQL's now does
-- the same (postgres/0018_search_fold.sql).
SELECT 1;
