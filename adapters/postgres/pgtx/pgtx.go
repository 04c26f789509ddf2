// Package pgtx runs a function in a PostgreSQL transaction: the unit of
// work of the inventory, payment and saga stores.
package pgtx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Run runs fn in a transaction, commits when fn succeeds and rolls back
// when it fails. The commit's error is returned, never dropped: a failed
// commit means nothing was written.
func Run(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
