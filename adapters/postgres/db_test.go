package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
)

func TestIdleInTransactionTimeoutEndsAnIdleTransaction(t *testing.T) {
	t.Parallel()
	_, url := testenv.DBWithURL(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, url, postgres.IdleInTransactionTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var setting string
	if err := db.QueryRow(`SHOW idle_in_transaction_session_timeout`).Scan(&setting); err != nil || setting != "300ms" {
		t.Fatalf("idle_in_transaction_session_timeout = %q, %v; want 300ms", setting, err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.Exec(`SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if _, err := tx.Exec(`SELECT 1`); err == nil {
		t.Error("a transaction idle for 2 s outlived a 300 ms idle_in_transaction_session_timeout")
	}
}
