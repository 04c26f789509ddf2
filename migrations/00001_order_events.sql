-- +goose Up
-- The event store: one row per event, one stream per order.
-- UNIQUE (stream_id, version) is the optimistic-concurrency guard: two
-- writers that loaded the same version cannot both append the next one.
CREATE TABLE order_events (
    global_position BIGSERIAL PRIMARY KEY,
    event_id        UUID        NOT NULL UNIQUE,
    stream_id       UUID        NOT NULL,
    version         INTEGER     NOT NULL CHECK (version > 0),
    event_type      TEXT        NOT NULL,
    schema_version  INTEGER     NOT NULL CHECK (schema_version > 0),
    data            JSONB       NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT order_events_stream_version_key UNIQUE (stream_id, version)
);

-- Read model: the order detail, kept in the same transaction as the events.
CREATE TABLE orders (
    id          UUID        PRIMARY KEY,
    customer_id TEXT        NOT NULL,
    status      TEXT        NOT NULL,
    currency    CHAR(3)     NOT NULL,
    total       BIGINT      NOT NULL,
    items       JSONB       NOT NULL,
    version     INTEGER     NOT NULL,
    placed_at   TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE orders;
DROP TABLE order_events;
