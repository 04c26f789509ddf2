package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/command"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/correlation"
)

// Outbox publishes messages within a business transaction.
type Outbox interface {
	Publish(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs ...*message.Message) error
}

// OrderRepository is the unit of work of the order service: in one
// transaction it appends an order's new events, updates its read model and
// publishes the events to the outbox.
type OrderRepository struct {
	db          *sql.DB
	outbox      Outbox
	eventsTopic string
}

var _ command.OrderRepository = (*OrderRepository)(nil)

// NewOrderRepository returns a repository that publishes order events to
// the Kafka topic eventsTopic through outbox.
func NewOrderRepository(db *sql.DB, outbox Outbox, eventsTopic string) (*OrderRepository, error) {
	if db == nil || outbox == nil {
		return nil, errors.New("order repository needs a database and an outbox")
	}
	if eventsTopic == "" {
		return nil, errors.New("order repository needs an events topic")
	}
	return &OrderRepository{db: db, outbox: outbox, eventsTopic: eventsTopic}, nil
}

// Add stores a new order, and its idempotency key when given.
func (r *OrderRepository) Add(ctx context.Context, o *order.Order, key *command.IdempotencyKey) (order.ID, bool, error) {
	id, replayed := o.ID(), false
	err := pgtx.Do(ctx, r.db, func(uow *pgtx.UnitOfWork) error {
		tx := uow.Tx
		if key != nil {
			earlier, found, err := lookUpIdempotencyKey(ctx, tx, key)
			if err != nil || found {
				id, replayed = earlier, found
				return err
			}
		}
		if err := r.save(ctx, uow, o); err != nil {
			return err
		}
		if key != nil {
			return storeIdempotencyKey(ctx, tx, key, o.ID())
		}
		return nil
	})
	if err != nil {
		return "", false, err
	}
	return id, replayed, nil
}

// Update loads an order from its events, lets fn change it, and stores the
// events fn recorded.
func (r *OrderRepository) Update(ctx context.Context, id order.ID, fn func(ctx context.Context, o *order.Order) error) error {
	return pgtx.Do(ctx, r.db, func(uow *pgtx.UnitOfWork) error {
		o, err := loadOrder(ctx, uow.Tx, id)
		if err != nil {
			return err
		}
		if err := fn(ctx, o); err != nil {
			return err
		}
		return r.save(ctx, uow, o)
	})
}

// save writes the order's new events, its read model row and its outbox
// messages on tx.
func (r *OrderRepository) save(ctx context.Context, uow *pgtx.UnitOfWork, o *order.Order) error {
	tx := uow.Tx
	changes := o.Changes()
	if len(changes) == 0 {
		return nil
	}
	envelopes, err := appendEvents(ctx, tx, o.ID(), changes)
	if err != nil {
		return err
	}
	if err := projectOrder(ctx, tx, o); err != nil {
		return err
	}
	msgs := make([]*message.Message, len(envelopes))
	for i, env := range envelopes {
		if msgs[i], err = env.Message(); err != nil {
			return err
		}
	}
	correlation.Stamp(ctx, msgs...)
	return r.outbox.Publish(ctx, uow, r.eventsTopic, msgs...)
}
