package pgtx_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

// preparedOnConn counts the statements with query's text prepared on the
// unit of work's connection (lib/pq's, not SQL PREPARE).
func preparedOnConn(t *testing.T, uow *pgtx.UnitOfWork, query string) int {
	t.Helper()
	var n int
	err := uow.Tx.QueryRowContext(context.Background(),
		`SELECT count(*) FROM pg_prepared_statements WHERE statement = $1 AND NOT from_sql`, query).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func waitForPrepared(t *testing.T, stmts *pgtx.Statements, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for stmts.Len() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d statements prepared after 30s, want %d", stmts.Len(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStatementsRunPreparedFromTheSecondUse(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	db.SetMaxOpenConns(1) // the preparation waits for the unit of work's connection
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE stmt_test (n int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stmts.Close() })
	const insert = `INSERT INTO stmt_test (n) VALUES ($1)`

	for n, wantPrepared := range []int{0, 1, 1} {
		err := stmts.Do(ctx, func(uow *pgtx.UnitOfWork) error {
			if _, err := uow.ExecContext(ctx, insert, n); err != nil {
				return err
			}
			if got := preparedOnConn(t, uow, insert); got != wantPrepared {
				t.Errorf("use %d: prepared %d times on the connection, want %d", n+1, got, wantPrepared)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("use %d: %v", n+1, err)
		}
		waitForPrepared(t, stmts, 1)
	}
	var count int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM stmt_test`).Scan(&count); err != nil || count != 3 {
		t.Errorf("%d rows (%v), want 3", count, err)
	}
}

func TestPreparedStatementsKeepTheTransactionsSemantics(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE stmt_rollback (n int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stmts.Close() })
	const insert = `INSERT INTO stmt_rollback (n) VALUES ($1)`
	errFailed := errors.New("fn failed")

	// The first unit of work prepares the statement; the second runs it
	// prepared and fails, so its row must be gone; a duplicate key is the
	// server's error either way.
	for i, tt := range []struct {
		n       int
		fnErr   error
		wantErr string
	}{{1, nil, ""}, {2, errFailed, "fn failed"}, {1, nil, "duplicate key"}} {
		err := stmts.Do(ctx, func(uow *pgtx.UnitOfWork) error {
			if _, err := uow.ExecContext(ctx, insert, tt.n); err != nil {
				return err
			}
			return tt.fnErr
		})
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("unit of work %d: %v, want error %q", i+1, err, tt.wantErr)
		}
		waitForPrepared(t, stmts, 1)
	}
	var rows []int
	r, err := db.QueryContext(ctx, `SELECT n FROM stmt_rollback ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	for r.Next() {
		var n int
		if err := r.Scan(&n); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, n)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0] != 1 {
		t.Errorf("rows %v, want [1]", rows)
	}
}

func TestAStatementThatCannotBePreparedRunsAndFailsAsItWould(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stmts.Close() })
	ctx := context.Background()
	for range 2 {
		err := stmts.Do(ctx, func(uow *pgtx.UnitOfWork) error {
			_, err := uow.ExecContext(ctx, `INSERT INTO no_such_table VALUES ($1)`, 1)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "no_such_table") {
			t.Fatalf("Do = %v, want the server's error about no_such_table", err)
		}
	}
	if stmts.Len() != 0 {
		t.Errorf("%d statements prepared, want 0", stmts.Len())
	}
}
