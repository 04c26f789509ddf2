package pgtx_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

// secondRound runs one member of a batch as a charge does: a unit of work
// (the intent), AwaitCommit, units of work after the commit (the answer).
// The test plays the batch's leader: it commits the first round, continues
// the batch, lets the member go on, lets its second round begin once it
// is ready to write, and ends the round with end.
func secondRound(t *testing.T, db *sql.DB, end func(b *pgtx.Batch) error) (answered error, ended error) {
	t.Helper()
	ctx := context.Background()
	b, err := pgtx.Begin(ctx, db, []string{"order-1"})
	if err != nil {
		t.Fatal(err)
	}
	awaiting, commit := make(chan struct{}), make(chan error)
	ready, begin := make(chan struct{}), make(chan struct{})
	member := b.Join(ctx, func() error {
		close(awaiting)
		return <-commit
	}, func() {
		close(ready) // a second call would panic
		<-begin
	})
	insert := func(n int) func(uow *pgtx.UnitOfWork) error {
		return func(uow *pgtx.UnitOfWork) error {
			_, err := uow.Tx.ExecContext(ctx, `INSERT INTO batch_test VALUES ($1, txid_current())`, n)
			return err
		}
	}
	done := make(chan error, 1)
	go func() {
		if err := pgtx.Do(member, db, insert(1)); err != nil {
			done <- err
			return
		}
		if err := pgtx.AwaitCommit(member); err != nil {
			done <- err
			return
		}
		err := pgtx.Do(member, db, insert(2))
		if err == nil {
			err = pgtx.Do(member, db, insert(3))
		}
		done <- err
	}()
	<-awaiting
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	committed, _ := rows(t, db)
	b.Continue([]string{"order-1"})
	commit <- nil
	<-ready
	if n, _ := rows(t, db); n != committed {
		t.Errorf("%d rows when the member was ready for its second round, want the %d after the first round", n, committed)
	}
	close(begin)
	answered = <-done
	return answered, end(b)
}

func rows(t *testing.T, db *sql.DB) (n int, transactions int) {
	t.Helper()
	err := db.QueryRowContext(context.Background(), `SELECT count(*), count(DISTINCT tx) FROM batch_test`).Scan(&n, &transactions)
	if err != nil {
		t.Fatal(err)
	}
	return n, transactions
}

func TestAContinuedBatchCommitsWhatItsMembersWroteAfterTheCommitOnce(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	if _, err := db.Exec(`CREATE TABLE batch_test (n int PRIMARY KEY, tx bigint)`); err != nil {
		t.Fatal(err)
	}
	var before int
	answered, ended := secondRound(t, db, func(b *pgtx.Batch) error {
		before, _ = rows(t, db)
		return b.Commit()
	})
	if answered != nil || ended != nil {
		t.Fatalf("member %v, second commit %v", answered, ended)
	}
	if before != 1 {
		t.Errorf("%d rows before the second round's commit, want the first round's one", before)
	}
	if n, txs := rows(t, db); n != 3 || txs != 2 {
		t.Errorf("%d rows in %d transactions, want 3 in 2: the first round's and the second's", n, txs)
	}
}

// A crash in the second round leaves the first round's writes and none of
// the second's: the redelivered message finds its inbox record, and
// finishes the call (app/payment).
func TestACrashInTheSecondRoundLeavesTheFirstRoundCommitted(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	if _, err := db.Exec(`CREATE TABLE batch_test (n int PRIMARY KEY, tx bigint)`); err != nil {
		t.Fatal(err)
	}
	answered, ended := secondRound(t, db, func(b *pgtx.Batch) error { return b.Rollback() })
	if answered != nil || ended != nil {
		t.Fatalf("member %v, rollback %v", answered, ended)
	}
	if n, _ := rows(t, db); n != 1 {
		t.Errorf("%d rows, want the first round's only", n)
	}
}

// A unit of work that fails in the second round fails it: the next one
// is refused, and the commit rolls back.
func TestAFailedUnitOfWorkFailsTheSecondRound(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	if _, err := db.Exec(`CREATE TABLE batch_test (n int PRIMARY KEY, tx bigint)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO batch_test VALUES (2, 0)`); err != nil { // the answer's row: a duplicate key
		t.Fatal(err)
	}
	answered, ended := secondRound(t, db, func(b *pgtx.Batch) error { return b.Commit() })
	if answered == nil || ended == nil {
		t.Fatalf("member %v, commit %v: want both to fail", answered, ended)
	}
	if errors.Is(ended, pgtx.ErrBatchFailed) {
		t.Errorf("commit: %v, want the unit of work's own failure", ended)
	}
	if n, _ := rows(t, db); n != 2 {
		t.Errorf("%d rows, want the first round's and the one before", n)
	}
}
