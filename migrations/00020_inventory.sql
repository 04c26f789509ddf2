-- +goose Up
-- The inventory service's tables. It shares the database with the order
-- service but owns these tables; no other service reads or writes them.

-- Stock per SKU. reserved units are held for orders that have not shipped;
-- the CHECK is the last line of defence against overselling.
CREATE TABLE inventory_stock (
    sku        TEXT        PRIMARY KEY,
    on_hand    BIGINT      NOT NULL CHECK (on_hand >= 0),
    reserved   BIGINT      NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT inventory_stock_reserved_within_on_hand CHECK (reserved <= on_hand)
);

-- One reservation per order: held, rejected, released or committed.
CREATE TABLE inventory_reservations (
    order_id   UUID        PRIMARY KEY,
    status     TEXT        NOT NULL CHECK (status IN ('held', 'rejected', 'released', 'committed')),
    lines      JSONB       NOT NULL,
    reason     TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Inbox: the messages the inventory consumer applied, written in the
-- transaction of their effect. Old records are deleted (INBOX_RETENTION).
CREATE TABLE inventory_inbox (
    consumer    TEXT        NOT NULL,
    message_id  TEXT        NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX inventory_inbox_received_idx ON inventory_inbox (received_at);

-- Messages set aside after failing for good, and every later message of
-- the same order (docs/saga.md, "Parking").
CREATE TABLE inventory_parked_messages (
    seq        BIGSERIAL   PRIMARY KEY,
    consumer   TEXT        NOT NULL,
    message_id TEXT        NOT NULL,
    order_key  TEXT        NOT NULL,
    topic      TEXT        NOT NULL,
    payload    BYTEA       NOT NULL,
    metadata   JSONB       NOT NULL,
    reason     TEXT        NOT NULL,
    parked_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (consumer, message_id)
);
CREATE INDEX inventory_parked_order_idx ON inventory_parked_messages (consumer, order_key);

-- +goose Down
DROP TABLE inventory_parked_messages;
DROP TABLE inventory_inbox;
DROP TABLE inventory_reservations;
DROP TABLE inventory_stock;
