-- +goose Up
-- The outbox: watermill-sql's PostgreSQL schema for the SQL topic
-- "orders_outbox" that the forwarder reads. Created here because the
-- publisher runs on the business transaction and must not run DDL there.
-- transaction_id (xid8) orders rows by the transaction that wrote them, so
-- the subscriber never reads past a transaction that is still open.
CREATE TABLE watermill_orders_outbox (
    "offset"       BIGSERIAL,
    uuid           VARCHAR(36) NOT NULL,
    created_at     TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    payload        JSON        DEFAULT NULL,
    metadata       JSON        DEFAULT NULL,
    transaction_id XID8        NOT NULL,
    PRIMARY KEY (transaction_id, "offset")
);

-- Where each forwarder consumer group stands in the outbox.
CREATE TABLE watermill_offsets_orders_outbox (
    consumer_group                VARCHAR(255) NOT NULL,
    offset_acked                  BIGINT,
    last_processed_transaction_id XID8         NOT NULL,
    PRIMARY KEY (consumer_group)
);

-- +goose Down
DROP TABLE watermill_offsets_orders_outbox;
DROP TABLE watermill_orders_outbox;
