-- A delivery through a notify channel is leased as a message is: by an
-- owner, until an expiry the owner renews while it sends (see 0008).
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
