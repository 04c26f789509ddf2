package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/lib/pq"
)

// A statement that gave up waiting for a lock (lock_timeout, SQLSTATE
// 55P03: a session outside the service holds the row) rolled its
// transaction back and changed nothing: every consumer retries the
// message with backoff, and parks it only when the retries run out.
func TestALockTimeoutIsRetriedNotDeadLettered(t *testing.T) {
	lockTimeout := fmt.Errorf("reserve stock: %w", &pq.Error{Code: "55P03", Message: "canceling statement due to lock timeout"})
	for name, o := range map[string]outcome{"inventory": inventoryOutcome, "payment": paymentOutcome, "order-saga": sagaOutcome} {
		err := o.handlerResult(context.Background(), slog.New(slog.DiscardHandler), "handler", "order-1", lockTimeout)
		if err == nil || !retryable(err) {
			t.Errorf("%s: a lock timeout ends as %v (retryable %v), want an error to retry", name, err, err != nil && retryable(err))
		}
	}
}
