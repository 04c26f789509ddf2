-- Runs once, when the postgres container initialises its data volume
-- (POSTGRES_USER=orders already owns the database "orders").
CREATE DATABASE orders_test OWNER orders;
