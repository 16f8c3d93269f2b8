-- As ../0005_item_copies.sql: the rank of the stored copy of each item.
ALTER TABLE items ADD COLUMN own INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN article INTEGER NOT NULL DEFAULT 1;
ALTER TABLE items ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN updated BIGINT NOT NULL DEFAULT 0;
UPDATE items SET updated = first_seen, size = length(summary) + length(content) + length(body);
CREATE INDEX items_updated ON items (updated);
