package metrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Store counts what the order store's optimistic concurrency and
// idempotency keys turned away (the application's command.StoreMetrics).
type Store struct {
	conflicts *prometheus.CounterVec
	replays   *prometheus.CounterVec
}

// NewStore registers the store's counters with reg, shared by the
// applications of one process.
func NewStore(reg prometheus.Registerer) (*Store, error) {
	if reg == nil {
		return nil, errors.New("nil Prometheus registerer")
	}
	conflicts, err1 := registerOrShare(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orders_event_store_version_conflicts_total",
		Help: "Appends to an order's event stream that lost to another writer of the same version (retried or answered 409).",
	}, nil))
	replays, err2 := registerOrShare(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orders_idempotent_replays_total",
		Help: "Requests answered with the outcome of an earlier one with the same Idempotency-Key, by command.",
	}, []string{"command"}))
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	// Present from the start, so that a rate over them is 0, not absent.
	conflicts.WithLabelValues()
	replays.WithLabelValues("PlaceOrder")
	return &Store{conflicts: conflicts, replays: replays}, nil
}

// VersionConflict counts a lost append.
func (s *Store) VersionConflict() { s.conflicts.WithLabelValues().Inc() }

// IdempotentReplay counts a replayed request of command.
func (s *Store) IdempotentReplay(command string) { s.replays.WithLabelValues(command).Inc() }
