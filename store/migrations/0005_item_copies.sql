-- One item, many copies: the same article reached through several sources
-- keeps the best copy's text and link (see SaveRun), whatever the order the
-- copies arrived in.
--   own:     the stored copy came from a source on the link's own site.
--   article: the article's own text is stored (a copy from its own site, or
--            one with the page's body), so its page need not be fetched again;
--            items stored before this column keep the old rule (known = stored).
--   size:    characters of summary, content and body, the fullest copy wins.
--   updated: when the item was first seen or last given a richer copy; a
--            digest selects by it, so an item that became relevant through a
--            richer copy is considered again.
ALTER TABLE items ADD COLUMN own INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN article INTEGER NOT NULL DEFAULT 1;
ALTER TABLE items ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;
UPDATE items SET updated = first_seen, size = length(summary) + length(content) + length(body);
CREATE INDEX items_updated ON items (updated);
