-- +goose Up
-- Per-order holds (issue 11). A dead letter now names its order (the
-- message's partition key, NULL when it cannot be read) and has a status:
--   dead      the relay could not send it (the head of its order's holds);
--   held      a later event of an order with an open letter, not sent so
--             that the order's events never reach Kafka out of order;
--             held_behind is the open letter it waited for;
--   replayed / skipped   an operator released it (resolved_at).
-- While an order has a dead or held letter in a shard, the relay holds its
-- new events in that shard too. Letters stored before this migration keep
-- status dead with no partition key: their orders' later events were sent
-- already, so they hold nothing.
ALTER TABLE outbox_dead_letters
	ADD COLUMN IF NOT EXISTS partition_key TEXT,
	ADD COLUMN IF NOT EXISTS status TEXT NOT NULL DEFAULT 'dead'
		CONSTRAINT outbox_dead_letters_status_check CHECK (status IN ('dead', 'held', 'replayed', 'skipped')),
	ADD COLUMN IF NOT EXISTS held_behind BIGINT,
	ADD COLUMN IF NOT EXISTS resolved_at TIMESTAMPTZ;

-- The relay reads a shard's open orders once per batch; operators look
-- letters up by order.
CREATE INDEX IF NOT EXISTS outbox_dead_letters_open
	ON outbox_dead_letters (outbox, sql_topic, partition_key) WHERE status IN ('dead', 'held');
CREATE INDEX IF NOT EXISTS outbox_dead_letters_order
	ON outbox_dead_letters (outbox, partition_key, id);

-- +goose Down
DROP INDEX IF EXISTS outbox_dead_letters_order;
DROP INDEX IF EXISTS outbox_dead_letters_open;
ALTER TABLE outbox_dead_letters
	DROP COLUMN IF EXISTS resolved_at,
	DROP COLUMN IF EXISTS held_behind,
	DROP COLUMN IF EXISTS status,
	DROP COLUMN IF EXISTS partition_key;
