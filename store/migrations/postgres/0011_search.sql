-- Full-text search over stored items: one tsvector per item (title, then
-- summary, content and body; the 'simple' configuration: no stemming, any
-- language), indexed with GIN, beside the item's date (published, else
-- first seen) so that a search reads this narrow table alone: its rows are
-- kept small (the tsvector stored out of line), so the rows of thousands
-- of matches are read from memory, and counted and sorted without the
-- items. Triggers keep it in step with every write to items: an insert, a
-- richer copy replacing the text, pruning emptying it; a deleted item takes
-- its row with it.
CREATE TABLE item_search (
    item_id BIGINT   PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    at      BIGINT   NOT NULL,
    tsv     tsvector NOT NULL
) WITH (toast_tuple_target = 128);
CREATE INDEX item_search_tsv ON item_search USING gin (tsv);
CREATE INDEX item_search_at ON item_search (at, item_id);

CREATE FUNCTION item_search_tsv(title TEXT, summary TEXT, content TEXT, body TEXT) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_tsvector('simple', left(title || ' ' || summary || ' ' || content || ' ' || body, 500000)) $$;

CREATE FUNCTION item_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO item_search (item_id, at, tsv)
    VALUES (NEW.id, coalesce(NEW.published, NEW.first_seen), item_search_tsv(NEW.title, NEW.summary, NEW.content, NEW.body))
    ON CONFLICT (item_id) DO UPDATE SET at = excluded.at, tsv = excluded.tsv;
    RETURN NULL;
END $$;

CREATE TRIGGER item_search_insert AFTER INSERT ON items
    FOR EACH ROW EXECUTE FUNCTION item_search_sync();
CREATE TRIGGER item_search_update AFTER UPDATE OF title, summary, content, body, published, first_seen ON items
    FOR EACH ROW EXECUTE FUNCTION item_search_sync();

INSERT INTO item_search (item_id, at, tsv)
SELECT id, coalesce(published, first_seen), item_search_tsv(title, summary, content, body) FROM items;

-- The console lists a source's items and filters a search by source.
CREATE INDEX item_sources_source ON item_sources (source, item_id);

-- Searches without text come newest first: an index on the item's date.
CREATE INDEX items_when ON items (coalesce(published, first_seen));
