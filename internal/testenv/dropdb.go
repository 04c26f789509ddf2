package testenv

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/postgres"
)

// dropDatabase drops a test database, terminating its connections.
//
// DROP DATABASE … WITH (FORCE) signals every backend on the database. Run as
// the unprivileged test role it fails when one of them belongs to another
// role, typically an autovacuum worker on the fresh database, unless the role
// has pg_signal_backend (scripts/services.sh grants it). Such a backend is
// gone within moments, so a machine without the grant retries for a while.
func dropDatabase(ctx context.Context, admin *sql.DB, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	wait := 50 * time.Millisecond
	for {
		_, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		if err == nil || !dropMayPass(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// dropMayPass says whether a failed drop may pass when tried again: a backend
// the role may not signal (42501), or one that has not exited yet (55006).
func dropMayPass(err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	return pqErr.Code == "42501" || pqErr.Code == "55006"
}

// forgetStatements returns what removes the database's entries from
// pg_stat_statements once it is dropped. Entries outlive their database,
// and once the table is full (pg_stat_statements.max) it evicts the
// least-called ones: a running test's, which then counts its statements
// short (StatementCalls). Housekeeping only: where the role may not reset
// statistics (scripts/services.sh grants it), they pile up as before.
func forgetStatements(ctx context.Context, admin *sql.DB, name string) func() {
	var oid int64
	if err := admin.QueryRowContext(ctx, `SELECT oid FROM pg_database WHERE datname = $1`, name).Scan(&oid); err != nil || oid == 0 {
		return func() {} // never dbid 0: that resets every database's entries
	}
	return func() {
		stats, err := postgres.Open(ctx, URLFor("postgres"))
		if err != nil {
			return
		}
		defer func() { _ = stats.Close() }()
		_, _ = stats.ExecContext(ctx, `SELECT pg_stat_statements_reset(0, $1, 0)`, oid)
	}
}
