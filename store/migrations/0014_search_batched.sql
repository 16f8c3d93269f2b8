-- The search index takes new items in batches rather than one transaction
-- at a time: search_state.upto is the highest item ID the index has been
-- brought up to. Every item with an ID up to it is in the index with its
-- current text; no item above it is. IndexItems (index.go) indexes the
-- items above it in one statement and moves it to the highest ID, at the
-- end of each fetch and before a search reads the index.
--
-- The triggers keep that rule for every other write to items, by
-- newswatch or by any other tool (they call no function of newswatch's):
-- an item inserted with an ID at or below upto (SQLite reuses the highest
-- rowid once its row is deleted) is indexed at once; an update or a delete
-- touches the index only for an indexed item, since telling FTS5 to
-- delete text it never indexed corrupts the index. Items above upto are
-- left alone: the next IndexItems reads them as they are then.
CREATE TABLE search_state (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    upto INTEGER NOT NULL
);
-- The triggers of 0011 indexed every item so far.
INSERT INTO search_state (id, upto) VALUES (1, coalesce((SELECT max(id) FROM items), 0));

DROP TRIGGER items_fts_insert;
DROP TRIGGER items_fts_delete;
DROP TRIGGER items_fts_update;

CREATE TRIGGER items_fts_insert AFTER INSERT ON items
WHEN new.id <= (SELECT upto FROM search_state WHERE id = 1)
BEGIN
    INSERT INTO items_fts (rowid, title, summary, content, body)
    VALUES (new.id, new.title, new.summary, new.content, new.body);
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items
WHEN old.id <= (SELECT upto FROM search_state WHERE id = 1)
BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, summary, content, body)
    VALUES ('delete', old.id, old.title, old.summary, old.content, old.body);
END;

-- An update may change the ID too: the old row leaves the index if it was
-- in it, the new one enters it if its ID is at or below upto.
CREATE TRIGGER items_fts_update AFTER UPDATE OF id, title, summary, content, body ON items
WHEN old.id <= (SELECT upto FROM search_state WHERE id = 1)
    OR new.id <= (SELECT upto FROM search_state WHERE id = 1)
BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, summary, content, body)
    SELECT 'delete', old.id, old.title, old.summary, old.content, old.body
    WHERE old.id <= (SELECT upto FROM search_state WHERE id = 1);
    INSERT INTO items_fts (rowid, title, summary, content, body)
    SELECT new.id, new.title, new.summary, new.content, new.body
    WHERE new.id <= (SELECT upto FROM search_state WHERE id = 1);
END;

-- A batch is written as segments of FTS5's default 1 MB of pending terms
-- (a larger hash held the whole process several MB higher while it
-- indexed), and a level of the index is merged at once only when it
-- reaches 64 segments rather than 16: a batch as large as a cold fetch of
-- 1,000 feeds is not merged again within itself. Automerge (16, set by
-- 0011) merges the segments step by step on later writes.
INSERT INTO items_fts (items_fts, rank) VALUES ('crisismerge', 64);
