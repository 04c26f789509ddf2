package relay

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// errTurnLost fails a batch whose transaction has been silent for longer
// than the relay trusts it to be alive: PostgreSQL ends a relay's session
// that stays idle in transaction for the session timeout (set by
// lockingBeginner), which releases the shard's lock to a standby. So after
// a freeze (SIGSTOP, a VM pause) or a cut-off the relay sends nothing more
// of the batch and leaves the shard to whoever holds it now.
var errTurnLost = errors.New("this relay's turn on the shard ended: its transaction was silent for longer than the session timeout (was the process paused or cut off?)")

// turn is one shard's current transaction as seen by the relay, so that a
// healthy relay keeps it alive and a frozen one knows it lost it.
//
// While a batch waits in the relay (the pipeline's barrier waiting for
// Kafka's acks, a message retried in place while the broker is down), the
// transaction is idle, and PostgreSQL would end it after the session
// timeout. keepAlive therefore pings it ("SELECT 1") every third of the
// timeout while it is idle: a healthy relay waiting on a slow broker keeps
// its turn for as long as it waits, a frozen one cannot ping and loses it.
//
// Pings run beside the subscriber's own statements on the same
// transaction; database/sql serialises them on the connection. They are
// sent only after the batch's rows were read (the first message reached
// the handler, see handling), never while a result set is open.
type turn struct {
	timeout time.Duration // the session timeout PostgreSQL enforces

	mu      sync.Mutex
	tx      *sql.Tx
	reading bool      // the select's rows may still be open
	contact time.Time // last time PostgreSQL answered in this transaction
	lost    bool      // sticky until the transaction ends
	rows    int       // read by the transaction's select
}

func newTurn(timeout time.Duration) *turn { return &turn{timeout: timeout} }

// begun records a transaction that holds the shard's lock.
func (t *turn) begun(tx *sql.Tx) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tx, t.reading, t.contact, t.lost, t.rows = tx, true, time.Now(), false, 0
}

// rowRead records that the select is still answering.
func (t *turn) rowRead() {
	t.mu.Lock()
	t.contact = time.Now()
	t.rows++
	t.mu.Unlock()
}

// rowsRead is how many rows the last transaction's select read.
func (t *turn) rowsRead() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rows
}

// handling records that the batch's rows were all read: the subscriber
// hands messages on only after reading every row.
func (t *turn) handling() {
	t.mu.Lock()
	t.reading = false
	t.mu.Unlock()
}

// ended records that the transaction committed or rolled back.
func (t *turn) ended() {
	t.mu.Lock()
	t.tx, t.lost = nil, false
	t.mu.Unlock()
}

// isLost reports that the transaction has been silent for two thirds of
// the session timeout (pings come every third): PostgreSQL may have ended
// it, so nothing more of the batch may be sent, and the batch must not be
// acknowledged even if a late ping succeeds. Sticky within a transaction.
func (t *turn) isLost() bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tx != nil && !t.lost && time.Since(t.contact) > 2*t.timeout/3 {
		t.lost = true
	}
	return t.tx != nil && t.lost
}

// keepAlive pings the idle transaction until ctx ends.
func (t *turn) keepAlive(ctx context.Context) {
	every := t.timeout / 3
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		t.mu.Lock()
		tx, due := t.tx, t.tx != nil && !t.reading && !t.lost && time.Since(t.contact) >= every
		t.mu.Unlock()
		if !due || t.isLost() {
			continue
		}
		pingCtx, cancel := context.WithTimeout(ctx, every)
		_, err := tx.ExecContext(pingCtx, "SELECT 1")
		cancel()
		t.mu.Lock()
		if err == nil && t.tx == tx {
			t.contact = time.Now()
		}
		t.mu.Unlock()
	}
}
