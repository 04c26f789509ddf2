-- +goose Up
-- A new database's orders outbox has one shard, not the eight of migration
-- 00010: one shard gave the shortest commit → Kafka tail, the least
-- PostgreSQL CPU per order and the least idle relay CPU (docs/benchmarks.md,
-- "Choosing the shard count"). Migration 00010 stays as it was applied; this
-- one replaces its eight shards with orders_outbox_0_of_1 only where the
-- outbox has never held a row: eight shards recorded, each empty with one
-- position, the relay's ("forwarder"), at its start, no dead letter of the
-- outbox and no order event. Any other database keeps its layout, untouched
-- (`orders outbox reshard -shards 1` moves a drained one). The shards are
-- locked against writers before they are checked; a writer still running on
-- them then fails on the missing tables, as after `orders outbox reshard`.
-- The new shard, its position, the view and the recorded count are what
-- admin.CreateLayout makes for one shard (adapters/outbox/admin/layout_test.go
-- compares them); grant_service_roles() (00036) gives the service roles the
-- new tables. replace_unused_orders_outbox(old, new) does it; Down calls it
-- the other way round and drops it.
-- +goose StatementBegin
CREATE FUNCTION replace_unused_orders_outbox(old_shards int, new_shards int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	views text[] := '{}';
	topic text;
	used boolean;
BEGIN
	IF (SELECT shards FROM outbox_layouts WHERE name = 'orders') IS DISTINCT FROM old_shards
		OR EXISTS (SELECT FROM order_events)
		OR EXISTS (SELECT FROM outbox_dead_letters WHERE outbox = 'orders') THEN
		RETURN;
	END IF;
	FOR i IN 0 .. old_shards - 1 LOOP
		EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', format('watermill_orders_outbox_%s_of_%s', i, old_shards));
	END LOOP;
	FOR i IN 0 .. old_shards - 1 LOOP
		topic := format('orders_outbox_%s_of_%s', i, old_shards);
		EXECUTE format('SELECT EXISTS (SELECT FROM %I) OR (SELECT count(*) <> 1 OR count(*) FILTER (WHERE consumer_group = %L
				AND offset_acked = 0 AND last_processed_transaction_id = %L) <> 1 FROM %I)',
			'watermill_' || topic, 'forwarder', '0', 'watermill_offsets_' || topic) INTO used;
		IF used THEN
			RETURN;
		END IF;
	END LOOP;
	-- Checked after the locks: an order written meanwhile has its outbox rows.
	IF EXISTS (SELECT FROM order_events) THEN
		RETURN;
	END IF;

	DROP VIEW watermill_orders_outbox;
	FOR i IN 0 .. old_shards - 1 LOOP
		EXECUTE format('DROP TABLE %I', format('watermill_orders_outbox_%s_of_%s', i, old_shards));
		EXECUTE format('DROP TABLE %I', format('watermill_offsets_orders_outbox_%s_of_%s', i, old_shards));
	END LOOP;
	FOR i IN 0 .. new_shards - 1 LOOP
		topic := format('orders_outbox_%s_of_%s', i, new_shards);
		EXECUTE format('CREATE TABLE %I (
			"offset"       BIGSERIAL,
			uuid           TEXT        NOT NULL,
			created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
			payload        BYTEA,
			metadata       JSON,
			transaction_id XID8        NOT NULL,
			PRIMARY KEY (transaction_id, "offset")
		)', 'watermill_' || topic);
		EXECUTE format('CREATE TABLE %I (
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
	UPDATE outbox_layouts SET shards = new_shards, changed_at = now() WHERE name = 'orders';
	PERFORM grant_service_roles();
END
$$;
-- +goose StatementEnd
SELECT replace_unused_orders_outbox(8, 1);

-- +goose Down
-- The inverse, on the same condition: an orders outbox of one shard that has
-- never held a row gets migration 00010's eight shards back. Any other keeps
-- its layout: it holds data, or an operator chose its count (migration
-- 00010's Down drops whatever count is recorded).
SELECT replace_unused_orders_outbox(1, 8);
DROP FUNCTION replace_unused_orders_outbox(int, int);
