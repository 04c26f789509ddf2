package testenv

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"
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
