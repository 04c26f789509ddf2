package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/domain/order"
)

// readModelItem is a line item as stored in orders.items.
type readModelItem struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Subtotal  int64  `json:"subtotal"`
}

// readModelParams is the number of parameters of upsertReadModel.
const readModelParams = 12

// upsertReadModel writes an order's read model row from readModelRow's
// arguments.
const upsertReadModel = `INSERT INTO orders (id, customer_id, status, currency, total, items, version,
		cancel_reason, cancel_detail, payment_id, placed_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (id) DO UPDATE SET
		status = excluded.status, total = excluded.total, items = excluded.items,
		version = excluded.version, cancel_reason = excluded.cancel_reason,
		cancel_detail = excluded.cancel_detail, payment_id = excluded.payment_id,
		updated_at = excluded.updated_at`

// projectOrder writes the order's read model row from the aggregate's
// state. The live write path (within appendAndProject's statement) and the
// rebuild both write readModelRow, so a rebuilt read model equals the
// live one by construction.
func projectOrder(ctx context.Context, uow *pgtx.UnitOfWork, o *order.Order) error {
	args, err := readModelRow(o)
	if err != nil {
		return err
	}
	if _, err := uow.ExecContext(ctx, upsertReadModel, args...); err != nil {
		return fmt.Errorf("update read model of order %s: %w", o.ID(), err)
	}
	return nil
}

// readModelRow is the arguments of upsertReadModel for the order, in the
// capacity of a statement that adds an event or two after them.
func readModelRow(o *order.Order) ([]any, error) {
	items := make([]readModelItem, 0, len(o.Items()))
	for _, it := range o.Items() {
		sub, err := it.Subtotal()
		if err != nil {
			return nil, err
		}
		items = append(items, readModelItem{SKU: it.SKU(), Quantity: it.Quantity(), UnitPrice: it.UnitPrice().Amount(), Subtotal: sub.Amount()})
	}
	itemsJSON, err := json.Marshal(items)
	if err != nil {
		return nil, fmt.Errorf("marshal items of order %s: %w", o.ID(), err)
	}
	reason, detail := o.CancelReason()
	args := make([]any, 0, readModelParams+14)
	return append(args, string(o.ID()), o.CustomerID(), string(o.Status()), string(o.Currency()), o.Total().Amount(), itemsJSON,
		o.Version(), string(reason), detail, o.PaymentID(), o.PlacedAt(), o.UpdatedAt()), nil
}
