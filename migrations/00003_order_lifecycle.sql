-- +goose Up
-- The read model follows the whole lifecycle.
ALTER TABLE orders
    ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '',
    ADD COLUMN cancel_detail TEXT NOT NULL DEFAULT '',
    ADD COLUMN payment_id    TEXT NOT NULL DEFAULT '';

-- A customer's orders, newest first: the index serves the keyset
-- pagination (placed_at, id) < (cursor) without sorting.
CREATE INDEX orders_customer_placed_idx ON orders (customer_id, placed_at DESC, id DESC);

-- Idempotency keys of POST /orders, written in the transaction that places
-- the order; kept for a retention period (see README), then deleted.
CREATE TABLE idempotency_keys (
    key         TEXT        PRIMARY KEY,
    fingerprint TEXT        NOT NULL,
    order_id    UUID        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP INDEX orders_customer_placed_idx;
ALTER TABLE orders DROP COLUMN payment_id, DROP COLUMN cancel_detail, DROP COLUMN cancel_reason;
