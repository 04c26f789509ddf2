package command

import (
	"context"
	"errors"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/domain/order"
)

// StoreMetrics counts what the order repository turned away or answered
// from before. The application declares it; adapters implement it.
type StoreMetrics interface {
	// VersionConflict: another writer appended to the order's stream (or
	// added an order with its ID) first.
	VersionConflict()
	// IdempotentReplay: a request with an Idempotency-Key seen before was
	// answered with the earlier outcome.
	IdempotentReplay(command string)
}

// ObservedRepository returns repo reporting its conflicts and replays to
// m; a nil m returns repo as it is.
func ObservedRepository(repo OrderRepository, m StoreMetrics) OrderRepository {
	if m == nil || repo == nil {
		return repo
	}
	return observedRepository{OrderRepository: repo, metrics: m}
}

type observedRepository struct {
	OrderRepository
	metrics StoreMetrics
}

func (r observedRepository) Add(ctx context.Context, o *order.Order, key *IdempotencyKey) (order.ID, bool, error) {
	id, replayed, err := r.OrderRepository.Add(ctx, o, key)
	switch {
	case errors.Is(err, ErrConcurrentUpdate):
		r.metrics.VersionConflict()
	case err == nil && replayed:
		r.metrics.IdempotentReplay("PlaceOrder")
	}
	return id, replayed, err
}

// Update counts the conflicts of the store only: a stale If-Match version,
// which fn reports, is the client's, not a lost append.
func (r observedRepository) Update(ctx context.Context, id order.ID, msg inbox.Key, fn func(ctx context.Context, o *order.Order) error) error {
	fnFailed := false
	err := r.OrderRepository.Update(ctx, id, msg, func(ctx context.Context, o *order.Order) error {
		ferr := fn(ctx, o)
		fnFailed = ferr != nil
		return ferr
	})
	if errors.Is(err, ErrConcurrentUpdate) && !fnFailed {
		r.metrics.VersionConflict()
	}
	return err
}
