package main

import (
	"context"
	"fmt"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
)

// holdElsewhere opens, in the cluster's postgres database, a transaction
// that takes a transaction ID and then stays idle, as a reporting query or
// a forgotten session would: it blocks the cluster's xmin, and so a
// forwarder that read by xmin, but no outbox writer of ours. release ends it
// and says how long it was open.
func holdElsewhere(ctx context.Context) (release func() string, err error) {
	db, err := postgres.Open(ctx, testenv.URLFor("postgres"))
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	var xid string
	if err := tx.QueryRowContext(ctx, `SELECT pg_current_xact_id()::text`).Scan(&xid); err != nil {
		_ = tx.Rollback()
		_ = db.Close()
		return nil, err
	}
	began := time.Now()
	return func() string {
		held := time.Since(began)
		_ = tx.Rollback()
		_ = db.Close()
		return fmt.Sprintf("transaction %s in database postgres held open %.1f s, over the warm-up and the whole measurement", xid, held.Seconds())
	}, nil
}
