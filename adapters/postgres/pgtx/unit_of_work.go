package pgtx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// UnitOfWork is one PostgreSQL transaction and what is to happen once it
// has committed. The steps of a business transaction (events, read model,
// outbox messages, inbox record, idempotency key) each take the unit of
// work and write on its transaction, through its ExecContext,
// QueryContext and QueryRowContext (prepared when the unit of work came
// from Statements.Do) or on Tx itself; a step that must act only after
// the commit (waking the forwarder, say) registers it with AfterCommit.
type UnitOfWork struct {
	Tx    *sql.Tx
	stmts *Statements // nil: statements run unprepared
	*transaction
}

// transaction is what the units of work on one transaction share: one
// alone, or all those of a Batch.
type transaction struct {
	afterCommit  []func()
	beforeCommit []func() error
	done         map[any]bool
	values       map[any]any
	batched      bool
	// partitionKeys are the orders a batch's members are about (Begin).
	partitionKeys []string
}

// ExecContext runs query on the transaction, prepared when it can be.
func (u *UnitOfWork) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if stmt := u.statement(ctx, query); stmt != nil { //nolint:sqlclosecheck // the transaction closes it as it ends
		return stmt.ExecContext(ctx, args...)
	}
	return u.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query on the transaction, prepared when it can be.
func (u *UnitOfWork) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if stmt := u.statement(ctx, query); stmt != nil { //nolint:sqlclosecheck // the transaction closes it as it ends
		return stmt.QueryContext(ctx, args...)
	}
	return u.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query on the transaction, prepared when it can be.
func (u *UnitOfWork) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if stmt := u.statement(ctx, query); stmt != nil { //nolint:sqlclosecheck // the transaction closes it as it ends
		return stmt.QueryRowContext(ctx, args...)
	}
	return u.Tx.QueryRowContext(ctx, query, args...)
}

// statement is query's prepared statement bound to the transaction, nil
// when the unit of work runs statements unprepared or query cannot be
// prepared. The transaction closes it when it ends; the statement stays
// prepared on the connection for the next transaction.
func (u *UnitOfWork) statement(ctx context.Context, query string) *sql.Stmt {
	if u.stmts == nil {
		return nil
	}
	return u.stmts.In(u.Tx).statement(ctx, query)
}

// Once reports whether key is new to this unit of work, and records it: a
// step that must happen once per transaction (the outbox taking a shard's
// writer lock, say) remembers it here.
func (u *UnitOfWork) Once(key any) bool {
	u.shared()
	if u.done[key] {
		return false
	}
	if u.done == nil {
		u.done = map[any]bool{}
	}
	u.done[key] = true
	return true
}

// AfterCommit registers fn to run once the transaction has committed. It
// does not run when the transaction rolls back or its commit fails.
func (u *UnitOfWork) AfterCommit(fn func()) {
	u.shared()
	u.afterCommit = append(u.afterCommit, fn)
}

// shared gives a UnitOfWork made as a literal around a Tx the state that
// Do and Batch give theirs.
func (u *UnitOfWork) shared() {
	if u.transaction == nil {
		u.transaction = &transaction{}
	}
}

// Do runs fn in a unit of work: it commits when fn succeeds, rolls back
// when it fails, and runs the after-commit hooks only after a successful
// commit. The commit's error is returned, never dropped: a failed commit
// means nothing was written.
func Do(ctx context.Context, db *sql.DB, fn func(uow *UnitOfWork) error) error {
	return run(ctx, db, nil, fn)
}

func run(ctx context.Context, db *sql.DB, stmts *Statements, fn func(uow *UnitOfWork) error) error {
	if m := memberOf(ctx, db); m != nil {
		return m.do(ctx, stmts, fn)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	uow := &UnitOfWork{Tx: tx, stmts: stmts, transaction: &transaction{}}
	if err := fn(uow); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := uow.flush(); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, hook := range uow.afterCommit {
		hook()
	}
	return nil
}
