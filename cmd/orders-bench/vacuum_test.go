package main

import (
	"testing"

	"github.com/orderflow/orders/adapters/postgres"
)

// TestVacuumOwnTablesAnalyzesTheBenchTables: a database without tables
// is no error; the tables the role owns, quoted names among them, are
// vacuumed and analyzed, and the system catalogs are not (a bare VACUUM by
// the database's owner would vacuum pg_class too).
func TestVacuumOwnTablesAnalyzesTheBenchTables(t *testing.T) {
	ctx, e := newTestEnvironment(t)
	defer e.close()
	d, err := e.newDatabase(ctx, "vacuum")
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, d.url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if err := vacuumOwnTables(ctx, db); err != nil {
		t.Fatalf("a database without tables: %v", err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE "Stock Rows" (sku int); INSERT INTO "Stock Rows" SELECT generate_series(1, 100)`); err != nil {
		t.Fatal(err)
	}
	if err := vacuumOwnTables(ctx, db); err != nil {
		t.Fatal(err)
	}
	var vacuumed, analyzed bool
	if err := db.QueryRowContext(ctx, `SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL
		FROM pg_stat_user_tables WHERE relname = 'Stock Rows'`).Scan(&vacuumed, &analyzed); err != nil {
		t.Fatal(err)
	}
	if !vacuumed || !analyzed {
		t.Errorf("vacuumed %v, analyzed %v; want both", vacuumed, analyzed)
	}
	var catalogVacuumed bool
	if err := db.QueryRowContext(ctx, `SELECT last_vacuum IS NOT NULL
		FROM pg_stat_sys_tables WHERE relname = 'pg_class'`).Scan(&catalogVacuumed); err != nil {
		t.Fatal(err)
	}
	if catalogVacuumed {
		t.Error("pg_class was vacuumed: the vacuum went beyond the role's own tables")
	}
}
