package forwarder

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
)

// positionProbes counts the position checks a backoffManager sends. Its
// database is unreachable, so every check fails (and counts as "rows may
// wait"): what is tested is whether the check is sent at all.
type positionProbes struct {
	db    *sql.DB
	calls atomic.Int32
}

func (p *positionProbes) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	p.calls.Add(1)
	return p.db.QueryRowContext(ctx, query, args...)
}

// TestAWakeUpDuringTheQueryReplacesThePositionCheck: after a batch that
// read everything it could, the forwarder asks the database whether rows
// still wait, unless a writer's wake-up came while the batch ran: the next
// query then runs at once whatever the answer, so the question is not sent
// (one statement fewer per cycle under load) and the wake-up is used up, so
// that the query after it waits again.
func TestAWakeUpDuringTheQueryReplacesThePositionCheck(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("postgres", "host=127.0.0.1 port=1 connect_timeout=1 sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	probes := &positionProbes{db: db}
	b := newBackoffManager(probes, "t", "g", time.Hour, make(chan struct{}), nil, watermill.NopLogger{})

	b.quick = 8 * time.Millisecond
	b.Wake()
	b.afterEmptyQuery()
	if n := probes.calls.Load(); n != 0 {
		t.Errorf("with a wake-up waiting: %d position check(s), want none", n)
	}
	if len(b.wake) != 0 {
		t.Error("the wake-up was not used up: every later query would run at once")
	}
	if b.quick != 0 {
		t.Errorf("quick backoff %s after a wake-up, want it reset", b.quick)
	}

	b.afterEmptyQuery() // no wake-up: the check runs, fails, and a short wait follows
	if n := probes.calls.Load(); n != 1 {
		t.Errorf("without a wake-up: %d position check(s), want 1", n)
	}
	if b.quick != quickBackoffStart {
		t.Errorf("quick backoff %s after a failed check, want %s", b.quick, quickBackoffStart)
	}
}
