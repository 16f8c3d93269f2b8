-- As ../0004_prune_state.sql.
CREATE TABLE prune_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    item_id BIGINT  NOT NULL
);
