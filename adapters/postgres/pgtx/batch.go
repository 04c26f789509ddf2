package pgtx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrBatchRolledBack is AwaitCommit's error when the batch did not
// commit, with the reason as text only: it was another member's failure,
// which must not be taken for the caller's own.
var ErrBatchRolledBack = errors.New("the batch did not commit")

// ErrBatchFailed is the error of a unit of work that joins a batch after
// an earlier one of it failed: the batch will roll back.
var ErrBatchFailed = errors.New("an earlier unit of work of the batch failed")

// Batch is one transaction that the units of work of several messages
// share, so that they commit together: units of work on the batch's
// database started with a context from Join run on its transaction, one
// after the other, and their after-commit hooks run after Commit. The
// first that fails fails the batch: it can only roll back, and its
// members are done again one by one, each in its own transaction
// (docs/saga.md, "Batches").
type Batch struct {
	db *sql.DB
	tx *sql.Tx
	*transaction

	mu     sync.Mutex
	failed error
}

type batchKey struct{}

// member is one member's place in a batch: the units of work started with
// its context run on the batch's transaction until it leaves (AwaitCommit).
type member struct {
	batch       *Batch
	awaitCommit func() error
	left        atomic.Bool
}

// Begin starts a batch's transaction on db, and runs first, on it, the
// units of work of first (taking the locks its members will need before
// any of them writes, say). partitionKeys are the orders its members are
// about, as far as they are known, so that the first member to read one
// can read them all at once (UnitOfWork.PartitionKeys).
func Begin(ctx context.Context, db *sql.DB, partitionKeys []string, first ...func(uow *UnitOfWork) error) (*Batch, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin batch transaction: %w", err)
	}
	b := &Batch{db: db, tx: tx, transaction: &transaction{batched: true, partitionKeys: partitionKeys}}
	for _, fn := range first {
		if err := b.do(nil, fn); err != nil {
			return nil, errors.Join(err, b.Rollback())
		}
	}
	return b, nil
}

// Join returns ctx with the batch in it: the units of work started with
// it on the batch's database run on the batch's transaction. awaitCommit
// ends the member's part in the batch and waits for the batch to end,
// returning its commit's error (AwaitCommit); nil for a member that never
// waits.
func (b *Batch) Join(ctx context.Context, awaitCommit func() error) context.Context {
	return context.WithValue(ctx, batchKey{}, &member{batch: b, awaitCommit: awaitCommit})
}

// AwaitCommit returns once what was written with ctx has committed: at
// once outside a batch, where a unit of work commits before it returns.
// In a batch it ends the caller's part in it and waits for the batch's
// commit, so that work that must follow a commit (a call to another
// system, say) can wait for it; the caller's later units of work run in
// transactions of their own.
func AwaitCommit(ctx context.Context) error {
	m, _ := ctx.Value(batchKey{}).(*member)
	if m == nil || m.left.Swap(true) {
		return nil
	}
	if m.awaitCommit == nil {
		return errors.New("a member of a batch awaited its commit, but the batch cannot tell it")
	}
	if err := m.awaitCommit(); err != nil {
		return fmt.Errorf("%w: %v", ErrBatchRolledBack, err) //nolint:errorlint // another member's error, as text only
	}
	return nil
}

// Commit makes the batch's gathered writes (Gather), commits it and runs
// its members' after-commit hooks; a failed batch, or a failed gathered
// write, rolls back instead and returns the failure.
func (b *Batch) Commit() error {
	if err := b.Err(); err != nil {
		return errors.Join(err, b.Rollback())
	}
	if err := b.flush(); err != nil {
		return errors.Join(err, b.Rollback())
	}
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	for _, hook := range b.afterCommit {
		hook()
	}
	return nil
}

// Rollback ends the batch with nothing written.
func (b *Batch) Rollback() error {
	if err := b.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("roll back batch: %w", err)
	}
	return nil
}

// Err is the failure of the batch's first failed unit of work, or nil.
func (b *Batch) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failed
}

func (b *Batch) do(stmts *Statements, fn func(uow *UnitOfWork) error) error {
	if err := b.Err(); err != nil {
		return ErrBatchFailed
	}
	err := fn(&UnitOfWork{Tx: b.tx, stmts: stmts, transaction: b.transaction})
	if err != nil {
		b.mu.Lock()
		b.failed = err
		b.mu.Unlock()
	}
	return err
}

// batchOf is the batch ctx carries for db, or nil.
func batchOf(ctx context.Context, db *sql.DB) *Batch {
	m, _ := ctx.Value(batchKey{}).(*member)
	if m == nil || m.left.Load() || m.batch.db != db {
		return nil
	}
	return m.batch
}
