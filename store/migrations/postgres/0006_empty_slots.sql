-- As ../0006_empty_slots.sql: slots whose digest had nothing to send.
CREATE TABLE empty_slots (
    digest TEXT    NOT NULL,
    slot   BIGINT  NOT NULL,
    PRIMARY KEY (digest, slot)
);
