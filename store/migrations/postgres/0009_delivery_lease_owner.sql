-- As ../0009_delivery_lease_owner.sql.
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
