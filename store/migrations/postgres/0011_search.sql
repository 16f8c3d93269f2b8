-- Full-text search over stored items: one tsvector per item (title, then
-- summary, content and body; the 'simple' configuration: no stemming, any
-- language), indexed with GIN. Triggers keep it in step with every write to
-- items: an insert, a richer copy replacing the text, pruning emptying it; a
-- deleted item takes its row with it.
CREATE TABLE item_search (
    item_id BIGINT   PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    tsv     tsvector NOT NULL
);
CREATE INDEX item_search_tsv ON item_search USING gin (tsv);

CREATE FUNCTION item_search_tsv(title TEXT, summary TEXT, content TEXT, body TEXT) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_tsvector('simple', left(title || ' ' || summary || ' ' || content || ' ' || body, 500000)) $$;

CREATE FUNCTION item_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO item_search (item_id, tsv)
    VALUES (NEW.id, item_search_tsv(NEW.title, NEW.summary, NEW.content, NEW.body))
    ON CONFLICT (item_id) DO UPDATE SET tsv = excluded.tsv;
    RETURN NULL;
END $$;

CREATE TRIGGER item_search_insert AFTER INSERT ON items
    FOR EACH ROW EXECUTE FUNCTION item_search_sync();
CREATE TRIGGER item_search_update AFTER UPDATE OF title, summary, content, body ON items
    FOR EACH ROW EXECUTE FUNCTION item_search_sync();

INSERT INTO item_search (item_id, tsv)
SELECT id, item_search_tsv(title, summary, content, body) FROM items;

-- The console lists a source's items and filters a search by source.
CREATE INDEX item_sources_source ON item_sources (source, item_id);
