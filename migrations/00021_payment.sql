-- +goose Up
-- The payment service's tables. It shares the database with the order
-- service but owns these tables; no other service reads or writes them.

-- One payment per order: what is due, and what became of it.
CREATE TABLE payments (
    order_id   UUID        PRIMARY KEY,
    amount     BIGINT      NOT NULL CHECK (amount >= 0),
    currency   CHAR(3)     NOT NULL,
    status     TEXT        NOT NULL CHECK (status IN ('due', 'captured', 'declined', 'refunded', 'voided')),
    payment_id TEXT        NOT NULL DEFAULT '',
    refund_id  TEXT        NOT NULL DEFAULT '',
    reason     TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The simulated payment gateway's own records (adapters/paymentgateway):
-- what a real provider keeps on its side. The idempotency key makes a
-- retried charge or refund return the first outcome instead of charging
-- again.
CREATE TABLE payment_gateway_ledger (
    idempotency_key TEXT        PRIMARY KEY,
    kind            TEXT        NOT NULL CHECK (kind IN ('charge', 'refund')),
    order_id        TEXT        NOT NULL,
    amount          BIGINT      NOT NULL,
    currency        CHAR(3)     NOT NULL,
    outcome         TEXT        NOT NULL CHECK (outcome IN ('captured', 'declined', 'refunded')),
    payment_id      TEXT        NOT NULL DEFAULT '',
    refund_id       TEXT        NOT NULL DEFAULT '',
    reason          TEXT        NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payment_gateway_ledger_order_idx ON payment_gateway_ledger (order_id);

-- Inbox and parked messages of the payment consumer (see 00020).
CREATE TABLE payment_inbox (
    consumer    TEXT        NOT NULL,
    message_id  TEXT        NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX payment_inbox_received_idx ON payment_inbox (received_at);

CREATE TABLE payment_parked_messages (
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
CREATE INDEX payment_parked_order_idx ON payment_parked_messages (consumer, order_key);

-- +goose Down
DROP TABLE payment_parked_messages;
DROP TABLE payment_inbox;
DROP TABLE payment_gateway_ledger;
DROP TABLE payments;
