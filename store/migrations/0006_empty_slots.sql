-- Schedule slots whose digest had nothing to send (and send_empty off): a
-- slot recorded here is done, like one with a message, so that `once` run
-- from cron does not find it due again and mail its stories off schedule.
CREATE TABLE empty_slots (
    digest TEXT    NOT NULL,
    slot   INTEGER NOT NULL,
    PRIMARY KEY (digest, slot)
);
