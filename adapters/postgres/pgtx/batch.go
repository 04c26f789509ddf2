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
//
// Once committed, a batch may go on (Continue) in a second transaction
// that the members that awaited the commit share for what they write
// after it.
type Batch struct {
	db    *sql.DB
	first []func(uow *UnitOfWork) error
	tx    *sql.Tx // nil in a continued batch until its first unit of work
	*transaction

	// turn lets one unit of work at a time use the transaction: in a
	// continued batch, the members run theirs at the same time.
	turn      sync.Mutex
	continued atomic.Bool // in its second round

	mu     sync.Mutex
	failed error
}

type batchKey struct{}

// member is one member's place in a batch: the units of work started with
// its context run on the batch's transaction until it leaves (AwaitCommit),
// and, in a continued batch, again in the second round.
type member struct {
	batch       *Batch
	awaitCommit func() error
	awaitRound  func()
	left        atomic.Bool
	second      bool // in the batch's second round
	arrived     bool // at its first unit of work of the second round
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
	b := &Batch{db: db, first: first, tx: tx, transaction: &transaction{batched: true, partitionKeys: partitionKeys}}
	if err := b.runFirst(); err != nil {
		return nil, errors.Join(err, b.Rollback())
	}
	return b, nil
}

func (b *Batch) runFirst() error {
	for _, fn := range b.first {
		if err := fn(&UnitOfWork{Tx: b.tx, transaction: b.transaction}); err != nil {
			return err
		}
	}
	return nil
}

// Continue readies a committed batch for its second and last round: the
// members that awaited its commit (AwaitCommit) go on in a transaction
// they share, so that what they write after the commit (a charge's answer,
// after the gateway's call) commits once for all of them, with the next
// Commit. partitionKeys are their orders. The transaction begins, with
// Begin's first units of work, at the round's first unit of work; a round
// without one commits nothing.
func (b *Batch) Continue(partitionKeys []string) {
	b.turn.Lock()
	defer b.turn.Unlock()
	b.mu.Lock()
	b.failed = nil
	b.mu.Unlock()
	b.tx, b.transaction = nil, &transaction{batched: true, partitionKeys: partitionKeys}
	b.continued.Store(true)
}

// Join returns ctx with the batch in it: the units of work started with
// it on the batch's database run on the batch's transaction. awaitCommit
// ends the member's part in the batch and waits for the batch to end,
// returning its commit's error (AwaitCommit); nil for a member that never
// waits. awaitRound waits, before the member's first unit of work of a
// continued batch's second round, until that round may begin: once every
// member in it has come to its first unit of work or ended, so that the
// round's transaction is never open while a member calls another system.
func (b *Batch) Join(ctx context.Context, awaitCommit func() error, awaitRound func()) context.Context {
	return context.WithValue(ctx, batchKey{}, &member{batch: b, awaitCommit: awaitCommit, awaitRound: awaitRound})
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
	if m.batch.continued.Load() && !m.second {
		m.second = true // the member's next units of work run in the second round
		m.left.Store(false)
	}
	return nil
}

// Commit makes the batch's gathered writes (Gather), commits it and runs
// its members' after-commit hooks; a failed batch, or a failed gathered
// write, rolls back instead and returns the failure.
func (b *Batch) Commit() error {
	b.turn.Lock()
	defer b.turn.Unlock()
	if b.tx == nil {
		return b.Err() // a continued batch whose round wrote nothing
	}
	if err := b.Err(); err != nil {
		return errors.Join(err, b.rollback())
	}
	if err := b.flush(); err != nil {
		return errors.Join(err, b.rollback())
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
	b.turn.Lock()
	defer b.turn.Unlock()
	return b.rollback()
}

func (b *Batch) rollback() error {
	if b.tx == nil {
		return nil
	}
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

func (b *Batch) do(ctx context.Context, stmts *Statements, fn func(uow *UnitOfWork) error) error {
	b.turn.Lock()
	defer b.turn.Unlock()
	if err := b.Err(); err != nil {
		return ErrBatchFailed
	}
	err := b.beginRound(ctx)
	if err == nil {
		err = fn(&UnitOfWork{Tx: b.tx, stmts: stmts, transaction: b.transaction})
	}
	if err != nil {
		b.mu.Lock()
		b.failed = err
		b.mu.Unlock()
	}
	return err
}

// beginRound begins a continued batch's transaction, once.
func (b *Batch) beginRound(ctx context.Context) error {
	if b.tx != nil {
		return nil
	}
	tx, err := b.db.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return fmt.Errorf("begin the batch's second transaction: %w", err)
	}
	b.tx = tx
	return b.runFirst()
}

// memberOf is the batch membership ctx carries for db, or nil.
func memberOf(ctx context.Context, db *sql.DB) *member {
	m, _ := ctx.Value(batchKey{}).(*member)
	if m == nil || m.left.Load() || m.batch.db != db {
		return nil
	}
	return m
}

// do runs fn on the member's batch; the first of a second round waits
// until the round begins.
func (m *member) do(ctx context.Context, stmts *Statements, fn func(uow *UnitOfWork) error) error {
	if m.second && !m.arrived {
		m.arrived = true
		if m.awaitRound != nil {
			m.awaitRound()
		}
	}
	return m.batch.do(ctx, stmts, fn)
}
