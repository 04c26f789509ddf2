package main

import (
	"context"
	"database/sql"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/domain/order"
)

// confirmLegs are the legs of placed → confirmed, in their order: each
// runs from one transaction's start to the next one's (the transactions'
// now(), as the estimate), so each but the charge is one message's hop
// (the writer's commit, its forwarder, Kafka, the consumer) plus the
// transaction it starts from. The charge is the payment gateway's call
// between the payment service's two transactions.
var confirmLegs = []string{
	"OrderPlaced → inventory",
	"StockReserved → saga",
	"OrderStockReserved → payment",
	"the charge",
	"PaymentCaptured → saga",
}

// legLatency is one leg of placed → confirmed over a phase's confirmed
// orders.
type legLatency struct {
	Leg     string
	Latency distribution
}

// orderLegs reads where placed → confirmed went for the confirmed orders
// among ids, leg by leg (confirmLegs). The bench's services share one
// database, so one query joins their tables.
func orderLegs(ctx context.Context, db *sql.DB, ids []string) (_ []legLatency, err error) {
	rows, err := db.QueryContext(ctx, `
		SELECT placed.recorded_at, r.created_at, reserved.recorded_at, p.created_at, p.updated_at, confirmed.recorded_at
		FROM order_events placed
		JOIN inventory_reservations r ON r.order_id = placed.stream_id
		JOIN order_events reserved ON reserved.stream_id = placed.stream_id AND reserved.event_type = $3
		JOIN payments p ON p.order_id = placed.stream_id
		JOIN order_events confirmed ON confirmed.stream_id = placed.stream_id AND confirmed.event_type = $4
		WHERE placed.stream_id = ANY($1::uuid[]) AND placed.event_type = $2`,
		pq.Array(ids), order.OrderPlacedType, order.OrderStockReservedType, order.OrderConfirmedType)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}()
	legs := make([][]time.Duration, len(confirmLegs))
	for rows.Next() {
		var at [6]time.Time
		if err := rows.Scan(&at[0], &at[1], &at[2], &at[3], &at[4], &at[5]); err != nil {
			return nil, err
		}
		for i := range legs {
			legs[i] = append(legs[i], at[i+1].Sub(at[i]))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]legLatency, len(confirmLegs))
	for i, name := range confirmLegs {
		out[i] = legLatency{Leg: name, Latency: summarise(legs[i])}
	}
	return out, nil
}
