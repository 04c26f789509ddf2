package command

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/domain/order"
)

// maxAttempts bounds how often a command that lost a race for the same
// order version is run again on the fresh state.
const maxAttempts = 5

// updater runs commands that change an existing order.
type updater struct {
	repo OrderRepository
	now  func() time.Time
}

func newUpdater(repo OrderRepository, now func() time.Time) (updater, error) {
	if repo == nil {
		return updater{}, errors.New("nil order repository")
	}
	if now == nil {
		return updater{}, errors.New("nil clock")
	}
	return updater{repo: repo, now: now}, nil
}

// update applies change to the order, as the effect of msg (the zero Key
// when no message caused it). Without an expected version the command is
// safe to re-run on fresh state, so a lost race is retried (the domain
// re-checks its rules each time). With one, the caller decided on what it
// saw: a stale version is ErrConcurrentUpdate, never retried.
func (u updater) update(ctx context.Context, id order.ID, expectedVersion int, msg inbox.Key, change func(o *order.Order, now time.Time) error) error {
	attempts := maxAttempts
	if expectedVersion > 0 {
		attempts = 1
	}
	var err error
	for range attempts {
		err = u.repo.Update(ctx, id, msg, func(_ context.Context, o *order.Order) error {
			if expectedVersion > 0 && o.Version() != expectedVersion {
				return fmt.Errorf("order %s is at version %d, not %d: %w", id, o.Version(), expectedVersion, ErrConcurrentUpdate)
			}
			return change(o, u.now())
		})
		if !errors.Is(err, ErrConcurrentUpdate) || expectedVersion > 0 {
			return err
		}
	}
	return err
}
