-- +goose Up
-- A new database's inventory and payment outboxes have one shard, not the
-- four of migration 00023, as migration 00045 did for the orders outbox:
-- with four, each row of a downstream service's burst got a relay cycle of
-- its own (docs/benchmarks.md). Migration 00023 stays as it was applied;
-- this one replaces an outbox's four shards with <outbox>_outbox_0_of_1
-- only where it has never held a row: four shards recorded, each empty
-- with one position, the relay's ("forwarder"), at its start, no dead
-- letter of the outbox and no row in the service's table whose writes
-- publish (inventory_reservations, payments). Any other database keeps its
-- layout, untouched (admin.ChangeShards moves a drained one). The shards
-- are locked against writers before they are checked; a writer still
-- running on them then fails on the missing tables, as after a reshard. The new shard, its position, the view and the recorded count
-- are what admin.CreateLayout makes for one shard
-- (adapters/outbox/admin/layout_test.go compares them); grant_service_roles()
-- (00036) gives the service roles the new tables.
-- replace_unused_service_outbox(outbox, table, old, new) does it; Down
-- calls it the other way round and drops it.
-- +goose StatementBegin
CREATE FUNCTION replace_unused_service_outbox(box text, business_table text, old_shards int, new_shards int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	views text[] := '{}';
	topic text;
	used boolean;
BEGIN
	EXECUTE format('SELECT EXISTS (SELECT FROM %I)', business_table) INTO used;
	IF used OR (SELECT shards FROM outbox_layouts WHERE name = box) IS DISTINCT FROM old_shards
		OR EXISTS (SELECT FROM outbox_dead_letters WHERE outbox = box) THEN
		RETURN;
	END IF;
	FOR i IN 0 .. old_shards - 1 LOOP
		EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', format('watermill_%s_outbox_%s_of_%s', box, i, old_shards));
	END LOOP;
	FOR i IN 0 .. old_shards - 1 LOOP
		topic := format('%s_outbox_%s_of_%s', box, i, old_shards);
		EXECUTE format('SELECT EXISTS (SELECT FROM %I) OR (SELECT count(*) <> 1 OR count(*) FILTER (WHERE consumer_group = %L
				AND offset_acked = 0 AND last_processed_transaction_id = %L) <> 1 FROM %I)',
			'watermill_' || topic, 'forwarder', '0', 'watermill_offsets_' || topic) INTO used;
		IF used THEN
			RETURN;
		END IF;
	END LOOP;
	-- Checked after the locks: a reservation or payment written meanwhile
	-- has its outbox rows.
	EXECUTE format('SELECT EXISTS (SELECT FROM %I)', business_table) INTO used;
	IF used THEN
		RETURN;
	END IF;

	EXECUTE format('DROP VIEW %I', 'watermill_' || box || '_outbox');
	FOR i IN 0 .. old_shards - 1 LOOP
		EXECUTE format('DROP TABLE %I', format('watermill_%s_outbox_%s_of_%s', box, i, old_shards));
		EXECUTE format('DROP TABLE %I', format('watermill_offsets_%s_outbox_%s_of_%s', box, i, old_shards));
	END LOOP;
	FOR i IN 0 .. new_shards - 1 LOOP
		topic := format('%s_outbox_%s_of_%s', box, i, new_shards);
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
	EXECUTE format('CREATE VIEW %I AS ', 'watermill_' || box || '_outbox') || array_to_string(views, ' UNION ALL ');
	EXECUTE format('COMMENT ON VIEW %I IS %L', 'watermill_' || box || '_outbox',
		'All shards of the outbox, for inspection (payload as text)');
	UPDATE outbox_layouts SET shards = new_shards, changed_at = now() WHERE name = box;
	PERFORM grant_service_roles();
END
$$;
-- +goose StatementEnd
SELECT replace_unused_service_outbox('inventory', 'inventory_reservations', 4, 1);
SELECT replace_unused_service_outbox('payment', 'payments', 4, 1);

-- +goose Down
-- The inverse, on the same condition: an inventory or payment outbox of
-- one shard that has never held a row gets migration 00023's four shards
-- back. Any other keeps its layout: it holds data, or an operator chose
-- its count (migration 00023's Down drops whatever count is recorded).
SELECT replace_unused_service_outbox('payment', 'payments', 1, 4);
SELECT replace_unused_service_outbox('inventory', 'inventory_reservations', 1, 4);
DROP FUNCTION replace_unused_service_outbox(text, text, int, int);
