// Package inventorystore is the inventory service's storage on
// PostgreSQL: stock levels, reservations, and the unit of work that writes
// them with the service's inbox record and outbox messages.
package inventorystore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/inventory/command"
	domain "github.com/orderflow/orders/domain/inventory"
)

// Outbox publishes messages within a unit of work (adapters/outbox).
type Outbox interface {
	// Announce declares, before the transaction's first write, the
	// partition keys (order IDs) whose messages it may publish: the
	// outbox forwarder blocks only the shards of open writers, and knows
	// them from this (adapters/outbox's Announce).
	Announce(ctx context.Context, uow *pgtx.UnitOfWork, partitionKeys ...string) error
	Publish(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs ...*message.Message) error
}

// Repository implements the inventory's Repository port.
//
// Its statements run prepared (pgtx.Statements), as the order
// repository's do: one round trip each instead of two.
type Repository struct {
	stmts       *pgtx.Statements
	outbox      Outbox
	eventsTopic string
}

var _ command.Repository = (*Repository)(nil)

// NewRepository returns a repository that publishes the inventory's
// events to the Kafka topic eventsTopic through outbox.
func NewRepository(db *sql.DB, outbox Outbox, eventsTopic string) (*Repository, error) {
	if db == nil || outbox == nil {
		return nil, errors.New("inventory repository needs a database and an outbox")
	}
	if eventsTopic == "" {
		return nil, errors.New("inventory repository needs an events topic")
	}
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		return nil, err
	}
	return &Repository{stmts: stmts, outbox: outbox, eventsTopic: eventsTopic}, nil
}

// Reserve implements app.Repository. An order reserved before fails the
// reservation's insert (its primary key), as app.ErrReservationExists.
func (r *Repository) Reserve(ctx context.Context, msg inbox.Key, orderID string, skus []string, fn func(domain.Stock) (*domain.Reservation, error)) error {
	return r.inTx(ctx, msg, orderID, func(uow *pgtx.UnitOfWork) error {
		stock := stockOf(ctx, uow)
		items, err := stock.lock(ctx, uow, skus)
		if err != nil {
			return err
		}
		res, err := fn(items)
		if err != nil {
			return err
		}
		lines, err := json.Marshal(res.Lines())
		if err != nil {
			return fmt.Errorf("marshal lines of order %s: %w", orderID, err)
		}
		row := reservationRow{orderID: orderID, status: string(res.Status()), lines: string(lines), reason: res.Reason()}
		if err := pgtx.Gather(ctx, uow, reservationsKey{}, func(ctx context.Context, rows []reservationRow) error {
			return insertReservations(ctx, uow, rows)
		}, row); err != nil {
			return err
		}
		return r.save(ctx, uow, res, stock, items)
	})
}

// reservationRow is a reservation's insert.
type reservationRow struct{ orderID, status, lines, reason string }

type reservationsKey struct{}

// insertReservations inserts rows in one statement.
func insertReservations(ctx context.Context, uow *pgtx.UnitOfWork, rows []reservationRow) error {
	ids, statuses, lines, reasons := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	for i, row := range rows {
		ids[i], statuses[i], lines[i], reasons[i] = row.orderID, row.status, row.lines, row.reason
	}
	_, err := uow.ExecContext(ctx, `
		INSERT INTO inventory_reservations (order_id, status, lines, reason)
		SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[])`,
		pq.Array(ids), pq.Array(statuses), pq.Array(lines), pq.Array(reasons))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return fmt.Errorf("order %s: %w", rows[0].orderID, command.ErrReservationExists)
	}
	if err != nil {
		return fmt.Errorf("store reservation of order %s: %w", rows[0].orderID, err)
	}
	return nil
}

// UpdateReservation implements app.Repository.
func (r *Repository) UpdateReservation(ctx context.Context, msg inbox.Key, orderID string, fn func(*domain.Reservation, domain.Stock) error) error {
	return r.inTx(ctx, msg, orderID, func(uow *pgtx.UnitOfWork) error {
		var (
			status, reason string
			linesJSON      []byte
		)
		err := uow.QueryRowContext(ctx, `SELECT status, lines, reason FROM inventory_reservations WHERE order_id = $1 FOR UPDATE`, orderID).
			Scan(&status, &linesJSON, &reason)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("order %s: %w", orderID, domain.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("load reservation of order %s: %w", orderID, err)
		}
		var lines []domain.Line
		if err := json.Unmarshal(linesJSON, &lines); err != nil {
			return fmt.Errorf("decode lines of order %s: %w", orderID, err)
		}
		res, err := domain.RestoreReservation(orderID, lines, domain.Status(status), reason)
		if err != nil {
			return err
		}
		stock := stockOf(ctx, uow)
		items, err := stock.lock(ctx, uow, res.SKUs())
		if err != nil {
			return err
		}
		if err := fn(res, items); err != nil {
			return err
		}
		if len(res.Changes()) == 0 {
			return nil
		}
		_, err = uow.ExecContext(ctx, `UPDATE inventory_reservations SET status = $2, updated_at = now() WHERE order_id = $1`,
			orderID, string(res.Status()))
		if err != nil {
			return fmt.Errorf("update reservation of order %s: %w", orderID, err)
		}
		return r.save(ctx, uow, res, stock, items)
	})
}

// UpdateItem implements app.Repository.
func (r *Repository) UpdateItem(ctx context.Context, sku string, fn func(*domain.Item) error) error {
	return r.inTx(ctx, inbox.Key{}, "", func(uow *pgtx.UnitOfWork) error {
		if _, err := uow.ExecContext(ctx, `INSERT INTO inventory_stock (sku, on_hand) VALUES ($1, 0) ON CONFLICT (sku) DO NOTHING`, sku); err != nil {
			return fmt.Errorf("create stock of %s: %w", sku, err)
		}
		stock := stockOf(ctx, uow)
		items, err := stock.lock(ctx, uow, []string{sku})
		if err != nil {
			return err
		}
		if err := fn(items[sku]); err != nil {
			return err
		}
		return stock.keep(ctx, uow, items)
	})
}

// inTx runs fn in one unit of work that first announces it may publish
// the events of orderID (none when empty) and records msg, the consumed
// message fn is the effect of, in the inventory's inbox.
func (r *Repository) inTx(ctx context.Context, msg inbox.Key, orderID string, fn func(uow *pgtx.UnitOfWork) error) error {
	return r.stmts.Do(ctx, func(uow *pgtx.UnitOfWork) error {
		if orderID != "" {
			if err := r.outbox.Announce(ctx, uow, orderID); err != nil {
				return err
			}
		}
		if err := messagestore.RecordInbox(ctx, uow, messagestore.InventoryTables.Inbox, msg); err != nil {
			return err
		}
		return fn(uow)
	})
}

// save stores the stock the reservation changed and publishes its events.
func (r *Repository) save(ctx context.Context, uow *pgtx.UnitOfWork, res *domain.Reservation, stock *lockedStock, items domain.Stock) error {
	if err := stock.keep(ctx, uow, items); err != nil {
		return err
	}
	changes := res.Changes()
	if len(changes) == 0 {
		return nil
	}
	msgs, err := outboxMessages(ctx, res.OrderID(), changes)
	if err != nil {
		return err
	}
	return r.outbox.Publish(ctx, uow, r.eventsTopic, msgs...)
}
