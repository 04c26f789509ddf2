-- Runs once, when the postgres container initialises its data volume
-- (POSTGRES_USER=orders already owns the database "orders").
CREATE DATABASE orders_test OWNER orders;
-- The tests drop their databases WITH (FORCE), which must be allowed to end an
-- autovacuum worker on them (needed only where orders is not a superuser).
GRANT pg_signal_backend TO orders;

-- Least privilege: the services' roles (password = name, for local use).
-- The migrations, run as the owner orders, grant each its own tables.
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['orders_app', 'inventory_app', 'payment_app'] LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', r, r);
		END IF;
	END LOOP;
END
$$;
