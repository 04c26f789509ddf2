-- +goose Up
-- The outboxes of the inventory and the payment service: the same sharded
-- layout as the order service's (migration 00010), 4 shards each, each with
-- its own name, its relay's position ("forwarder") at the start of every
-- shard, its view and its recorded shard count.
-- +goose StatementBegin
DO $$
DECLARE
	shards CONSTANT int := 4;
	outbox text;
	views text[];
	topic text;
BEGIN
	FOREACH outbox IN ARRAY ARRAY['inventory', 'payment'] LOOP
		views := '{}';
		FOR i IN 0 .. shards - 1 LOOP
			topic := format('%s_outbox_%s_of_%s', outbox, i, shards);
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
		EXECUTE format('CREATE VIEW %I AS ', 'watermill_' || outbox || '_outbox') || array_to_string(views, ' UNION ALL ');
		EXECUTE format('COMMENT ON VIEW %I IS %L', 'watermill_' || outbox || '_outbox',
			'All shards of the outbox, for inspection (payload as text)');
		INSERT INTO outbox_layouts (name, shards) VALUES (outbox, shards);
	END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
	outbox text;
	shards int;
BEGIN
	FOREACH outbox IN ARRAY ARRAY['payment', 'inventory'] LOOP
		SELECT l.shards INTO shards FROM outbox_layouts l WHERE l.name = outbox;
		EXECUTE format('DROP VIEW IF EXISTS %I', 'watermill_' || outbox || '_outbox');
		FOR i IN 0 .. shards - 1 LOOP
			EXECUTE format('DROP TABLE IF EXISTS %I', format('watermill_%s_outbox_%s_of_%s', outbox, i, shards));
			EXECUTE format('DROP TABLE IF EXISTS %I', format('watermill_offsets_%s_outbox_%s_of_%s', outbox, i, shards));
		END LOOP;
		DELETE FROM outbox_layouts WHERE name = outbox;
	END LOOP;
END
$$;
-- +goose StatementEnd
