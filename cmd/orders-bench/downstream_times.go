package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/domain/order"
)

// statuses counts the orders among ids that are confirmed and cancelled.
func statuses(ctx context.Context, db *sql.DB, ids []string) (confirmed, cancelled int, err error) {
	err = db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE status = $2), count(*) FILTER (WHERE status = $3)
		FROM orders WHERE id = ANY($1::uuid[])`, pq.Array(ids), string(order.StatusConfirmed), string(order.StatusCancelled)).
		Scan(&confirmed, &cancelled)
	return confirmed, cancelled, err
}

// orderTimes are the starts of the transactions that placed an order and
// that ended it (order_events.recorded_at, the transaction's now()).
type orderTimes struct {
	Placed, Ended time.Time
	Confirmed     bool
}

func orderEventTimes(ctx context.Context, db *sql.DB, ids []string) (_ map[string]orderTimes, err error) {
	rows, err := db.QueryContext(ctx, `SELECT stream_id::text, event_type, recorded_at FROM order_events
		WHERE stream_id = ANY($1::uuid[]) AND event_type IN ($2, $3, $4)`,
		pq.Array(ids), order.OrderPlacedType, order.OrderConfirmedType, order.OrderCancelledType)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}()
	out := make(map[string]orderTimes, len(ids))
	for rows.Next() {
		var id, kind string
		var at time.Time
		if err := rows.Scan(&id, &kind, &at); err != nil {
			return nil, err
		}
		t := out[id]
		switch kind {
		case order.OrderPlacedType:
			t.Placed = at
		default:
			t.Ended, t.Confirmed = at, kind == order.OrderConfirmedType
		}
		out[id] = t
	}
	return out, rows.Err()
}

// confirmationTimes fills in the sustained phases' commit → confirmed
// distributions (confirmLatency says what each bound is).
func confirmationTimes(ctx context.Context, e *environment, p *pipeline, db *sql.DB, res *downstreamResult) error {
	appended := map[string]time.Time{}
	readCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	err := kafka.ReadTopic(readCtx, e.brokers, p.topic, false, func(r kafka.Record) error {
		if r.Headers["name"] == order.OrderConfirmedType {
			appended[r.Key] = r.Timestamp
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", p.topic, err)
	}
	for _, ph := range res.phases() {
		if err := phaseLatencies(ctx, db, ph, appended); err != nil {
			return err
		}
	}
	return nil
}

// phaseLatencies fills in ph's commit → confirmed distributions; without
// the records' append times (appended nil) the high bound stays empty.
func phaseLatencies(ctx context.Context, db *sql.DB, ph *sustainedPhase, appended map[string]time.Time) error {
	times, err := orderEventTimes(ctx, db, idsOf(ph.placements))
	if err != nil {
		return err
	}
	var low, estimate, high []time.Duration
	windows := map[int][]time.Duration{}
	for _, pl := range ph.placements {
		t := times[pl.ID]
		if !t.Confirmed || t.Placed.IsZero() {
			continue
		}
		low, estimate = append(low, t.Ended.Sub(pl.Done)), append(estimate, t.Ended.Sub(t.Placed))
		w := int(pl.Sent.Sub(ph.Started) / latencyWindow)
		windows[w] = append(windows[w], t.Ended.Sub(t.Placed))
		if at, ok := appended[pl.ID]; ok {
			high = append(high, at.Sub(t.Placed))
		}
	}
	ph.ToConfirmed = confirmLatency{Low: summarise(low), Estimate: summarise(estimate), High: summarise(high)}
	ph.estimate = estimate
	if ph.Legs, err = orderLegs(ctx, db, idsOf(ph.placements)); err != nil {
		return err
	}
	ph.Windows = ph.Windows[:0]
	for w := 0; w <= int(ph.Duration/latencyWindow); w++ {
		if d, ok := windows[w]; ok {
			ph.Windows = append(ph.Windows, windowP99{From: time.Duration(w) * latencyWindow, N: len(d), P99: summarise(d).P99})
		}
	}
	return nil
}

// latencyWindow is the span of placements that windowP99 summarises.
const latencyWindow = 10 * time.Second

// windowP99 is placed → confirmed p99 (the estimate) of the orders placed
// in one latencyWindow of a phase, from its first placement: it tells a
// phase whose every order waited longer from one with a few stalls.
type windowP99 struct {
	From time.Duration
	N    int
	P99  time.Duration
}
