-- The search index takes new and changed items in batches rather than one
-- row at a time: to_tsvector on every insert was most of the server's work
-- in a fetch. The triggers now only note the item's ID in
-- item_search_pending, and IndexItems (index.go) indexes the noted items,
-- at the end of a fetch with a console and before every search, so a
-- search finds every item stored before it began, with its current text.
--
-- A queue, not a high-water mark of IDs as on SQLite: saves run in
-- parallel (in one daemon and across daemons), and an ID taken from the
-- sequence may commit after a higher one, so a mark moved past the
-- highest ID committed could skip an item committed later below it. A
-- queue row commits with the write that adds it, whatever its ID, by
-- newswatch or by any other tool (the triggers call no function of
-- newswatch's), and IndexItems deletes the rows it indexes.
--
-- No change is lost between a write and a batch indexing the same item.
-- A write notes the ID with an upsert that locks the queue row when one is
-- there; IndexItems first deletes the rows it takes (waiting for such a
-- write to commit), then, in a later statement of its transaction and so
-- with a later snapshot, reads the items' text. So either the batch reads
-- the text the write committed, or the write's upsert comes after the
-- batch's delete, waits for the batch to commit and adds the row again,
-- for the next batch. One batch runs at a time (an advisory lock of its
-- own), beside the saves, which do not take it: a batch and a save wait
-- for each other only over the queue row of an item both touch, and when
-- a save touches two such rows in the other order than the batch, the
-- one that loses the deadlock runs again.
CREATE TABLE item_search_pending (
    item_id BIGINT PRIMARY KEY
);

DROP TRIGGER item_search_insert ON items;
DROP TRIGGER item_search_update ON items;
DROP FUNCTION item_search_sync();

-- A save inserts a batch of items in one statement: one insert into the
-- queue for all of them.
CREATE FUNCTION item_search_note_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO item_search_pending (item_id) SELECT id FROM new_items
    ON CONFLICT (item_id) DO UPDATE SET item_id = excluded.item_id;
    RETURN NULL;
END $$;

CREATE FUNCTION item_search_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO item_search_pending (item_id) VALUES (NEW.id)
    ON CONFLICT (item_id) DO UPDATE SET item_id = excluded.item_id;
    RETURN NULL;
END $$;

CREATE TRIGGER item_search_insert AFTER INSERT ON items
    REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION item_search_note_new();
-- Only a change of what the index holds: a richer copy's text, pruning
-- emptying it, a date becoming known.
CREATE TRIGGER item_search_update AFTER UPDATE OF title, summary, content, body, published, first_seen ON items
    FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.summary IS DISTINCT FROM NEW.summary
        OR OLD.content IS DISTINCT FROM NEW.content OR OLD.body IS DISTINCT FROM NEW.body
        OR coalesce(OLD.published, OLD.first_seen) IS DISTINCT FROM coalesce(NEW.published, NEW.first_seen))
    EXECUTE FUNCTION item_search_note();

-- The triggers of 0011 indexed every item so far: the queue starts empty.
