-- Runs once, when the postgres container initialises its data volume
-- (POSTGRES_USER=orders already owns the database "orders").
CREATE DATABASE orders_test OWNER orders;
-- The tests drop their databases WITH (FORCE), which must be allowed to end an
-- autovacuum worker on them (needed only where orders is not a superuser).
GRANT pg_signal_backend TO orders;
