-- A notify channel is recorded under a stable identity rather than the URL
-- as shown to people, whose masking rules may change between versions
-- (a delivery pending at an upgrade was then no longer found):
--   channel: the channel's key (a hash of the URL as written, ${VAR}
--            references unexpanded); rows written before keep the masked
--            URL there, which the sender still recognises.
--   name:    the URL as shown to people (secret parts masked).
ALTER TABLE deliveries ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET name = channel;
-- unanswered: tries that got no answer in time after the message was sent
-- (the receiver may have taken it): they are retried a few times, spaced,
-- then taken as delivered.
ALTER TABLE deliveries ADD COLUMN unanswered INTEGER NOT NULL DEFAULT 0;
