-- +goose Up
-- The inventory's and the payment service's inboxes record the order and
-- version of each order event they apply, unique per consumer: a second,
-- different event with the same order and version (what a failover to a
-- standby that lacked the tail of the orders database, or a point-in-time
-- restore, makes the order service write) is refused and parked instead of
-- applied (docs/saga.md, "Exactly-once effects"). Rows recorded before
-- carry neither; the index ignores them.
ALTER TABLE inventory_inbox ADD COLUMN order_id TEXT, ADD COLUMN version INTEGER;
CREATE UNIQUE INDEX inventory_inbox_order_version ON inventory_inbox (consumer, order_id, version) WHERE version IS NOT NULL;
ALTER TABLE payment_inbox ADD COLUMN order_id TEXT, ADD COLUMN version INTEGER;
CREATE UNIQUE INDEX payment_inbox_order_version ON payment_inbox (consumer, order_id, version) WHERE version IS NOT NULL;

-- +goose Down
DROP INDEX payment_inbox_order_version;
ALTER TABLE payment_inbox DROP COLUMN order_id, DROP COLUMN version;
DROP INDEX inventory_inbox_order_version;
ALTER TABLE inventory_inbox DROP COLUMN order_id, DROP COLUMN version;
