-- +goose Up
-- The sharded outbox "orders" (8 shards; `orders outbox reshard` changes the
-- count later) replaces the single outbox table of migration 00002. Each
-- shard is a watermill-sql topic orders_outbox_<i>_of_8: a messages table
-- whose primary key (transaction_id, "offset") is the relay's reading
-- order, and an offsets table with the relay's position ("forwarder") at
-- its start. outbox_layouts records the shard count; outbox_dead_letters
-- holds what the relay could never send. The view watermill_orders_outbox
-- shows every shard, payload as text, for inspection.
--
-- Messages the old forwarder had not forwarded move, in their order and
-- with their transaction IDs, into the shard of their partition key (the
-- FNV-1a hash the outbox Publisher uses); the old table is locked first,
-- so none is written meanwhile.
CREATE TABLE IF NOT EXISTS outbox_layouts (
		name       TEXT        PRIMARY KEY,
		shards     INTEGER     NOT NULL CHECK (shards BETWEEN 1 AND 256),
		changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
	);

CREATE TABLE IF NOT EXISTS outbox_dead_letters (
		id               BIGSERIAL   PRIMARY KEY,
		outbox           TEXT        NOT NULL,
		sql_topic        TEXT        NOT NULL,
		"offset"         BIGINT      NOT NULL,
		transaction_id   XID8        NOT NULL,
		uuid             TEXT        NOT NULL,
		payload          BYTEA,
		metadata         JSON,
		reason           TEXT        NOT NULL,
		created_at       TIMESTAMPTZ,
		dead_lettered_at TIMESTAMPTZ NOT NULL DEFAULT now()
	);

-- +goose StatementBegin
DO $$
DECLARE
	shards CONSTANT int := 8;
	views text[] := '{}';
	topic text;
	m record;
	key bytea;
	h bigint;
BEGIN
	LOCK TABLE watermill_orders_outbox IN EXCLUSIVE MODE;
	ALTER TABLE watermill_orders_outbox RENAME TO watermill_orders_outbox_legacy;

	FOR i IN 0 .. shards - 1 LOOP
		topic := format('orders_outbox_%s_of_%s', i, shards);
		EXECUTE format('CREATE TABLE IF NOT EXISTS %I (
			"offset"       BIGSERIAL,
			uuid           TEXT        NOT NULL,
			created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
			payload        BYTEA,
			metadata       JSON,
			transaction_id XID8        NOT NULL,
			PRIMARY KEY (transaction_id, "offset")
		)', 'watermill_' || topic);
		EXECUTE format('CREATE TABLE IF NOT EXISTS %I (
			consumer_group                TEXT   PRIMARY KEY,
			offset_acked                  BIGINT NOT NULL,
			last_processed_transaction_id XID8   NOT NULL
		)', 'watermill_offsets_' || topic);
		EXECUTE format('INSERT INTO %I (consumer_group, offset_acked, last_processed_transaction_id) VALUES (%L, 0, %L)',
			'watermill_offsets_' || topic, 'forwarder', '0');
		views := views || format('SELECT %s AS shard, "offset", uuid, created_at, encode(payload, ''escape'') AS payload, metadata, transaction_id FROM %I',
			i, 'watermill_' || topic);
	END LOOP;
	EXECUTE 'CREATE VIEW watermill_orders_outbox AS ' || array_to_string(views, ' UNION ALL ');
	COMMENT ON VIEW watermill_orders_outbox IS 'All shards of the outbox, for inspection (payload as text)';

	FOR m IN
		SELECT l.uuid, l.created_at, l.payload, l.metadata, l.transaction_id
		FROM watermill_orders_outbox_legacy l
		LEFT JOIN watermill_offsets_orders_outbox o ON o.consumer_group = 'orders-forwarder'
		WHERE o.consumer_group IS NULL
			OR (l.transaction_id, l."offset") > (o.last_processed_transaction_id, o.offset_acked)
		ORDER BY l.transaction_id, l."offset"
	LOOP
		key := convert_to(CASE WHEN json_typeof(m.payload) = 'object'
			THEN COALESCE(NULLIF(m.payload -> 'metadata' ->> 'partition_key', ''), m.payload ->> 'uuid', '')
			ELSE m.uuid END, 'UTF8');
		h := 2166136261; -- FNV-1a, 32 bits
		FOR b IN 0 .. length(key) - 1 LOOP
			h := ((h # get_byte(key, b)) * 16777619) % 4294967296;
		END LOOP;
		EXECUTE format('INSERT INTO %I (uuid, created_at, payload, metadata, transaction_id) VALUES ($1, $2, $3, $4, $5)',
			format('watermill_orders_outbox_%s_of_%s', h % shards, shards))
			USING m.uuid, m.created_at, convert_to(COALESCE(m.payload::text, ''), 'UTF8'), m.metadata, m.transaction_id;
	END LOOP;

	DROP TABLE watermill_orders_outbox_legacy;
	DROP TABLE watermill_offsets_orders_outbox;
	INSERT INTO outbox_layouts (name, shards) VALUES ('orders', shards);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
	shards int;
BEGIN
	SELECT l.shards INTO shards FROM outbox_layouts l WHERE l.name = 'orders';
	DROP VIEW IF EXISTS watermill_orders_outbox;
	FOR i IN 0 .. shards - 1 LOOP
		EXECUTE format('DROP TABLE IF EXISTS %I', format('watermill_orders_outbox_%s_of_%s', i, shards));
		EXECUTE format('DROP TABLE IF EXISTS %I', format('watermill_offsets_orders_outbox_%s_of_%s', i, shards));
	END LOOP;
END
$$;
-- +goose StatementEnd
DROP TABLE outbox_dead_letters;
DROP TABLE outbox_layouts;
CREATE TABLE watermill_orders_outbox (
	"offset" BIGSERIAL, uuid VARCHAR(36) NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	payload JSON DEFAULT NULL, metadata JSON DEFAULT NULL, transaction_id XID8 NOT NULL,
	PRIMARY KEY (transaction_id, "offset"));
CREATE TABLE watermill_offsets_orders_outbox (
	consumer_group VARCHAR(255) NOT NULL, offset_acked BIGINT,
	last_processed_transaction_id XID8 NOT NULL, PRIMARY KEY (consumer_group));
