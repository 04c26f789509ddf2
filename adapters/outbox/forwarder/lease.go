package forwarder

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// errLeaseLost fails a batch whose transaction has been silent for longer
// than the forwarder trusts it to be alive: PostgreSQL ends a forwarder's session
// that stays idle in transaction for the session timeout (set by
// lockingBeginner), which releases the shard's lock to a standby. So after
// a freeze (SIGSTOP, a VM pause) or a cut-off the forwarder sends nothing more
// of the batch and leaves the shard to whoever holds it now.
var errLeaseLost = errors.New("this forwarder's lease on the shard ended: its transaction was silent for longer than the session timeout (was the process paused or cut off?)")

// lease is one shard's current transaction as seen by the forwarder, so that a
// healthy forwarder keeps it alive and a frozen one knows it lost it.
//
// While a batch waits in the forwarder (the pipeline's barrier waiting for
// Kafka's acks, a message retried in place while the broker is down), the
// transaction is idle, and PostgreSQL would end it after the session
// timeout. keepAlive therefore pings it ("SELECT 1") every third of the
// timeout while it is idle: a healthy forwarder waiting on a slow broker keeps
// its lease for as long as it waits, a frozen one cannot ping and loses it.
//
// Pings run beside the subscriber's own statements on the same
// transaction; database/sql serialises them on the connection. They are
// sent only after the batch's rows were read (the first message reached
// the handler, see handling), never while a result set is open.
type lease struct {
	timeout time.Duration // the session timeout PostgreSQL enforces

	mu      sync.Mutex
	tx      *sql.Tx
	reading bool      // the select's rows may still be open
	contact time.Time // last time PostgreSQL answered in this transaction
	lost    bool      // sticky until the transaction ends
	rows    int       // read by the transaction's select
}

func newLease(timeout time.Duration) *lease { return &lease{timeout: timeout} }

// begun records a transaction that holds the shard's lock.
func (l *lease) begun(tx *sql.Tx) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tx, l.reading, l.contact, l.lost, l.rows = tx, true, time.Now(), false, 0
}

// rowRead records that the select is still answering.
func (l *lease) rowRead() {
	l.mu.Lock()
	l.contact = time.Now()
	l.rows++
	l.mu.Unlock()
}

// rowsRead is how many rows the last transaction's select read.
func (l *lease) rowsRead() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rows
}

// handling records that the batch's rows were all read: the subscriber
// hands messages on only after reading every row.
func (l *lease) handling() {
	l.mu.Lock()
	l.reading = false
	l.mu.Unlock()
}

// ended records that the transaction committed or rolled back.
func (l *lease) ended() {
	l.mu.Lock()
	l.tx, l.lost = nil, false
	l.mu.Unlock()
}

// isLost reports that the transaction has been silent for two thirds of
// the session timeout (pings come every third): PostgreSQL may have ended
// it, so nothing more of the batch may be sent, and the batch must not be
// acknowledged even if a late ping succeeds. Sticky within a transaction.
func (l *lease) isLost() bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tx != nil && !l.lost && time.Since(l.contact) > 2*l.timeout/3 {
		l.lost = true
	}
	return l.tx != nil && l.lost
}

// keepAlive pings the idle transaction until ctx ends.
func (l *lease) keepAlive(ctx context.Context) {
	every := l.timeout / 3
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		l.mu.Lock()
		tx, due := l.tx, l.tx != nil && !l.reading && !l.lost && time.Since(l.contact) >= every
		l.mu.Unlock()
		if !due || l.isLost() {
			continue
		}
		pingCtx, cancel := context.WithTimeout(ctx, every)
		_, err := tx.ExecContext(pingCtx, "SELECT 1")
		cancel()
		l.mu.Lock()
		if err == nil && l.tx == tx {
			l.contact = time.Now()
		}
		l.mu.Unlock()
	}
}
