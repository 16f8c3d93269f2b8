-- Where Prune stopped: items up to item_id have been looked at (their text
-- dropped, or kept because a pending message carried them), so a daily
-- prune reads only the items that aged past its cut since the last one.
CREATE TABLE prune_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    item_id INTEGER NOT NULL
);
