-- +goose Up
-- Least privilege (issue 13): the owner role (`orders`, which owns the
-- database and runs these migrations) does the DDL; each service connects
-- as a role of its own that may read and write its own tables and no
-- other's: orders_app, inventory_app, payment_app. The roles are the
-- cluster's (scripts/services.sh and scripts/docker/initdb.sql create
-- them); a role that does not exist is left out, so the migration applies
-- anywhere. grant_service_roles() stays, to be run again by the owner after
-- an operation that creates tables (`orders outbox reshard`).
-- +goose StatementBegin
CREATE FUNCTION grant_service_roles() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	svc record;
	obj record;
BEGIN
	FOR svc IN SELECT * FROM (VALUES
		('orders_app', '^(order_events|orders|idempotency_keys|order_saga_inbox|order_saga_parked_messages|watermill_(offsets_)?orders_outbox(_[0-9]+_of_[0-9]+)?)$'),
		('inventory_app', '^(inventory_stock|inventory_reservations|inventory_inbox|inventory_parked_messages|watermill_(offsets_)?inventory_outbox(_[0-9]+_of_[0-9]+)?)$'),
		('payment_app', '^(payments|payment_gateway_ledger|payment_inbox|payment_parked_messages|watermill_(offsets_)?payment_outbox(_[0-9]+_of_[0-9]+)?)$')
	) AS v(role, own)
	LOOP
		CONTINUE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = svc.role);
		EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', svc.role);
		-- What every service shares: the schema version it checks at start,
		-- the outbox layouts its relay checks, the dead letters it records.
		EXECUTE format('GRANT SELECT ON goose_db_version, outbox_layouts TO %I', svc.role);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE ON outbox_dead_letters TO %I', svc.role);
		FOR obj IN SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v') AND c.relname ~ svc.own
		LOOP
			EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO %I', obj.relname, svc.role);
		END LOOP;
		-- The sequences of its tables' serial and identity columns.
		FOR obj IN SELECT DISTINCT s.relname FROM pg_catalog.pg_class s
			JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace
			JOIN pg_catalog.pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
			JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
			WHERE n.nspname = 'public' AND s.relkind = 'S' AND (t.relname ~ svc.own OR t.relname = 'outbox_dead_letters')
		LOOP
			EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO %I', obj.relname, svc.role);
		END LOOP;
	END LOOP;
END
$$;
-- +goose StatementEnd
SELECT grant_service_roles();

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
	role text;
BEGIN
	FOREACH role IN ARRAY ARRAY['orders_app', 'inventory_app', 'payment_app'] LOOP
		CONTINUE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = role);
		EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', role);
		EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', role);
		EXECUTE format('REVOKE USAGE ON SCHEMA public FROM %I', role);
	END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION grant_service_roles();
