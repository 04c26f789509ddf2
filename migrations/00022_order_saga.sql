-- +goose Up
-- The order service's saga consumer: it reads the inventory's and the
-- payment service's outcomes and drives orders with commands. Its inbox
-- record is written in the order repository's transaction (through the
-- outbox it publishes with); see 00020 for the shape of both tables.
CREATE TABLE order_saga_inbox (
    consumer    TEXT        NOT NULL,
    message_id  TEXT        NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX order_saga_inbox_received_idx ON order_saga_inbox (received_at);

CREATE TABLE order_saga_parked_messages (
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
CREATE INDEX order_saga_parked_order_idx ON order_saga_parked_messages (consumer, order_key);

-- +goose Down
DROP TABLE order_saga_parked_messages;
DROP TABLE order_saga_inbox;
