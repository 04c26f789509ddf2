package httpapi

import (
	"net/http"

	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/app/order/query"
	"github.com/orderflow/orders/domain/order"
)

// orderAfterPlacing is the order a placement answers with. A new order
// comes from the placed aggregate, as the read model stores it in the
// placing transaction (the write path's read-back cost a statement per
// order); a replayed request reads the order placed the first time, as it
// stands now.
func (s *server) orderAfterPlacing(r *http.Request, result command.PlaceOrderResult) (query.Order, error) {
	if result.Replayed || result.Order == nil {
		return s.app.Queries.GetOrder.Handle(r.Context(), query.GetOrder{OrderID: result.OrderID})
	}
	return readModelOf(result.Order)
}

// readModelOf is the order as the read model shows it, from the
// aggregate: the fields adapters/postgres's projection writes.
func readModelOf(o *order.Order) (query.Order, error) {
	items := make([]query.OrderItem, len(o.Items()))
	for i, it := range o.Items() {
		sub, err := it.Subtotal()
		if err != nil {
			return query.Order{}, err
		}
		items[i] = query.OrderItem{SKU: it.SKU(), Quantity: it.Quantity(), UnitPrice: it.UnitPrice().Amount(), Subtotal: sub.Amount()}
	}
	reason, detail := o.CancelReason()
	return query.Order{
		ID: string(o.ID()), CustomerID: o.CustomerID(), Status: string(o.Status()), Currency: string(o.Currency()),
		Items: items, Total: o.Total().Amount(), Version: o.Version(),
		CancelReason: string(reason), CancelDetail: detail, PaymentID: o.PaymentID(),
		PlacedAt: o.PlacedAt(), UpdatedAt: o.UpdatedAt(),
	}, nil
}
