package pgtx_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

func TestAfterCommitHooksRunOnlyAfterACommit(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE uow_test (n int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	errFailed := errors.New("fn failed")

	tests := []struct {
		name     string
		fn       func(uow *pgtx.UnitOfWork) error
		wantErr  bool
		wantRan  bool
		wantRows int
	}{
		{"commit", func(uow *pgtx.UnitOfWork) error {
			_, err := uow.Tx.ExecContext(ctx, `INSERT INTO uow_test VALUES (1)`)
			return err
		}, false, true, 1},
		{"fn fails", func(uow *pgtx.UnitOfWork) error {
			if _, err := uow.Tx.ExecContext(ctx, `INSERT INTO uow_test VALUES (2)`); err != nil {
				return err
			}
			return errFailed
		}, true, false, 1},
		{"commit fails", func(uow *pgtx.UnitOfWork) error {
			// A failed statement aborts the transaction; fn ignores the error,
			// so the commit is what fails (lib/pq reports it as a rollback).
			_, _ = uow.Tx.ExecContext(ctx, `INSERT INTO uow_test VALUES (1)`)
			return nil
		}, true, false, 1},
		{"fn rolled back itself", func(uow *pgtx.UnitOfWork) error {
			if _, err := uow.Tx.ExecContext(ctx, `INSERT INTO uow_test VALUES (3)`); err != nil {
				return err
			}
			return uow.Tx.Rollback()
		}, true, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := 0
			err := pgtx.Do(ctx, db, func(uow *pgtx.UnitOfWork) error {
				uow.AfterCommit(func() { ran++ })
				return tt.fn(uow)
			})
			if (err != nil) != tt.wantErr {
				t.Errorf("Do = %v, want error %v", err, tt.wantErr)
			}
			if (ran == 1) != tt.wantRan || ran > 1 {
				t.Errorf("hook ran %d times, want it to run: %v", ran, tt.wantRan)
			}
			var rows int
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM uow_test`).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if rows != tt.wantRows {
				t.Errorf("%d rows, want %d", rows, tt.wantRows)
			}
		})
	}
}

func TestHooksRunInTheOrderTheyWereRegistered(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	var got []int
	err := pgtx.Do(context.Background(), db, func(uow *pgtx.UnitOfWork) error {
		uow.AfterCommit(func() { got = append(got, 1) })
		uow.AfterCommit(func() { got = append(got, 2) })
		return nil
	})
	if err != nil || len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("Do = %v, hooks ran %v", err, got)
	}
}
