package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/orderflow/orders/app/order/query"
	"github.com/orderflow/orders/domain/order"
)

// The read models are the repository's streams, folded on each read: no
// projection to keep in step, and a read sees every committed write.
var (
	_ query.OrderReadModel          = (*OrderRepository)(nil)
	_ query.CustomerOrdersReadModel = (*OrderRepository)(nil)
	_ query.OrderEventsReadModel    = (*OrderRepository)(nil)
)

// schemaVersion is the version every event here has: the memory store
// keeps events as the domain holds them, with no older forms to upcast.
const schemaVersion = 1

// OrderByID returns the order, or order.ErrNotFound.
func (r *OrderRepository) OrderByID(_ context.Context, id order.ID) (query.Order, error) {
	o, err := r.load(id)
	if err != nil {
		return query.Order{}, err
	}
	return toQueryOrder(o), nil
}

// CustomerOrders returns a page of the customer's orders, newest first.
// The cursor is the position of the last order of the page before, a dot
// and its ID's 32 hex digits: the PostgreSQL read model's shape, with the
// position in place of the time.
func (r *OrderRepository) CustomerOrders(_ context.Context, customerID string, limit int, cursor string) (query.OrderPage, error) {
	before := int(^uint(0) >> 1)
	if cursor != "" {
		at, hexID, _ := strings.Cut(cursor, ".")
		n, err := strconv.Atoi(at)
		if err != nil || n < 0 || len(at) > 16 || len(hexID) != 32 {
			return query.OrderPage{}, fmt.Errorf("%w: cursor is not one this service issued", query.ErrInvalidQuery)
		}
		before = n
	}

	type positioned struct {
		position int
		order    *order.Order
	}
	var found []positioned
	r.mu.Lock()
	for id, s := range r.streams {
		if s.position >= before {
			continue
		}
		o, err := order.FromHistory(id, s.events)
		if err != nil {
			r.mu.Unlock()
			return query.OrderPage{}, err
		}
		if o.CustomerID() == customerID {
			found = append(found, positioned{s.position, o})
		}
	}
	r.mu.Unlock()

	slices.SortFunc(found, func(a, b positioned) int { return b.position - a.position })
	var page query.OrderPage
	for i, f := range found {
		if i == limit {
			page.NextCursor = strconv.Itoa(found[i-1].position) + "." + strings.ReplaceAll(string(found[i-1].order.ID()), "-", "")
			break
		}
		page.Orders = append(page.Orders, toQueryOrder(f.order))
	}
	return page, nil
}

// OrderEvents returns the order's events, oldest first, or order.ErrNotFound.
func (r *OrderRepository) OrderEvents(_ context.Context, id order.ID) ([]query.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.streams[id]
	if !ok {
		return nil, order.ErrNotFound
	}
	out := make([]query.Event, len(s.events))
	for i, e := range s.events {
		data, err := json.Marshal(e.Event)
		if err != nil {
			return nil, fmt.Errorf("encode event %d of order %s: %w", e.Version, id, err)
		}
		out[i] = query.Event{
			EventID: s.eventIDs[i], Type: e.Event.EventType(), SchemaVersion: schemaVersion,
			Version: e.Version, OccurredAt: e.OccurredAt, Data: data,
		}
	}
	return out, nil
}

func toQueryOrder(o *order.Order) query.Order {
	reason, detail := o.CancelReason()
	items := make([]query.OrderItem, 0, len(o.Items()))
	for _, it := range o.Items() {
		sub, _ := it.Subtotal() // the order was placed, so every subtotal fits
		items = append(items, query.OrderItem{
			SKU: it.SKU(), Quantity: it.Quantity(), UnitPrice: it.UnitPrice().Amount(), Subtotal: sub.Amount(),
		})
	}
	return query.Order{
		ID: string(o.ID()), CustomerID: o.CustomerID(), Status: o.Status().String(),
		Currency: string(o.Currency()), Items: items, Total: o.Total().Amount(), Version: o.Version(),
		CancelReason: string(reason), CancelDetail: detail, PaymentID: o.PaymentID(),
		PlacedAt: o.PlacedAt(), UpdatedAt: o.UpdatedAt(),
	}
}
