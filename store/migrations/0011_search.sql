-- Full-text search over stored items: an FTS5 index of title, summary,
-- content and body, its text read from items (external content). Triggers
-- keep it in step with every write to items: an insert, a richer copy
-- replacing the text, pruning emptying it, a delete.
CREATE VIRTUAL TABLE items_fts USING fts5(
    title, summary, content, body,
    content = 'items', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO items_fts (items_fts) VALUES ('rebuild');
-- Each fetched source commits its own transaction, a new index segment:
-- merging sixteen segments at a time rather than FTS5's four more than
-- halves what merging costs a cold fetch.
INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 16);

CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, summary, content, body)
    VALUES (new.id, new.title, new.summary, new.content, new.body);
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, summary, content, body)
    VALUES ('delete', old.id, old.title, old.summary, old.content, old.body);
END;

CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary, content, body ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, summary, content, body)
    VALUES ('delete', old.id, old.title, old.summary, old.content, old.body);
    INSERT INTO items_fts (rowid, title, summary, content, body)
    VALUES (new.id, new.title, new.summary, new.content, new.body);
END;

-- The console lists a source's items and filters a search by source.
CREATE INDEX item_sources_source ON item_sources (source, item_id);

-- Search results come newest first: with many matches, a page of them is
-- found by walking this index down and keeping the matching items, where
-- sorting every match by date would read each one.
CREATE INDEX items_when ON items (coalesce(published, first_seen));
