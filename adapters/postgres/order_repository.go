package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/domain/order"
)

// Outbox publishes messages within a business transaction.
type Outbox interface {
	Publish(ctx context.Context, tx *sql.Tx, destination string, msgs ...*message.Message) error
}

// OrderRepository is the unit of work of the order service: in one
// transaction it appends an order's new events, updates its read model and
// publishes the events to the outbox.
type OrderRepository struct {
	db          *sql.DB
	outbox      Outbox
	eventsTopic string
}

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

// Add stores a new order.
func (r *OrderRepository) Add(ctx context.Context, o *order.Order) error {
	return inTx(ctx, r.db, func(tx *sql.Tx) error {
		return r.save(ctx, tx, o)
	})
}

// Update loads an order from its events, lets fn change it, and stores the
// events fn recorded. It returns order.ErrNotFound for an unknown order.
func (r *OrderRepository) Update(ctx context.Context, id order.ID, fn func(ctx context.Context, o *order.Order) error) error {
	return inTx(ctx, r.db, func(tx *sql.Tx) error {
		history, err := loadEvents(ctx, tx, id)
		if err != nil {
			return err
		}
		o, err := order.FromHistory(id, history)
		if err != nil {
			return err
		}
		if err := fn(ctx, o); err != nil {
			return err
		}
		return r.save(ctx, tx, o)
	})
}

// save writes the order's new events, its read model row and its outbox
// messages on tx.
func (r *OrderRepository) save(ctx context.Context, tx *sql.Tx, o *order.Order) error {
	changes := o.Changes()
	if len(changes) == 0 {
		return nil
	}
	envelopes, err := appendEvents(ctx, tx, o.ID(), changes)
	if err != nil {
		return err
	}
	if err := upsertOrderReadModel(ctx, tx, o); err != nil {
		return err
	}
	msgs := make([]*message.Message, len(envelopes))
	for i, env := range envelopes {
		if msgs[i], err = env.Message(); err != nil {
			return err
		}
	}
	return r.outbox.Publish(ctx, tx, r.eventsTopic, msgs...)
}

// readModelItem is a line item as stored in orders.items.
type readModelItem struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

func upsertOrderReadModel(ctx context.Context, tx *sql.Tx, o *order.Order) error {
	items := make([]readModelItem, 0, len(o.Items()))
	for _, it := range o.Items() {
		items = append(items, readModelItem{SKU: it.SKU(), Quantity: it.Quantity(), UnitPrice: it.UnitPrice().Amount()})
	}
	itemsJSON, err := json.Marshal(items)
	if err != nil {
		return fmt.Errorf("marshal items of order %s: %w", o.ID(), err)
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO orders (id, customer_id, status, currency, total, items, version, placed_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET
			status = excluded.status, total = excluded.total, items = excluded.items,
			version = excluded.version, updated_at = excluded.updated_at`,
		string(o.ID()), o.CustomerID(), string(o.Status()), string(o.Currency()), o.Total().Amount(),
		itemsJSON, o.Version(), o.PlacedAt(), o.UpdatedAt())
	if err != nil {
		return fmt.Errorf("update read model of order %s: %w", o.ID(), err)
	}
	return nil
}

