package paymentstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/app/inbox"
	app "github.com/orderflow/orders/app/payment"
	"github.com/orderflow/orders/app/payment/command"
	domain "github.com/orderflow/orders/domain/payment"
)

// crashPoint is where a delivery's process dies, in the order of the three
// steps of a gateway call: commit the intent, call, commit the answer.
type crashPoint int

const (
	noCrash crashPoint = iota
	beforeIntentCommits
	beforeGatewayCall
	afterGatewayAnswered
	beforeAnswerCommits
	beforeAcknowledgement // every step committed; the message is delivered again
)

func (p crashPoint) String() string {
	return [...]string{"no crash", "before the intent commits", "before the gateway call",
		"after the gateway answered", "before the answer commits", "before the acknowledgement"}[p]
}

// errCrash stands for the process's death. Inside a transaction the
// wrapper returns it, so the transaction rolls back as PostgreSQL rolls
// back a dead connection's; outside it panics, so nothing after it runs.
var errCrash = errors.New("process died")

// crashInjector kills the next delivery once at its point.
type crashInjector struct {
	point crashPoint
	fired bool
}

func (c *crashInjector) arm(p crashPoint) { *c = crashInjector{point: p} }

func (c *crashInjector) at(p crashPoint) bool {
	if c.fired || c.point != p {
		return false
	}
	c.fired = true
	return true
}

type crashingRepository struct {
	command.Repository
	crash *crashInjector
}

// AddWithoutEvents commits the intent of a charge that opens the payment;
// a crash before its commit leaves nothing.
func (r crashingRepository) AddWithoutEvents(ctx context.Context, msg inbox.Key, p *domain.Payment) error {
	if r.crash.at(beforeIntentCommits) {
		return errCrash
	}
	return r.Repository.AddWithoutEvents(ctx, msg, p)
}

// UpdateWithoutEvents commits the intent of any other call.
func (r crashingRepository) UpdateWithoutEvents(ctx context.Context, msg inbox.Key, orderID string, fn func(context.Context, *domain.Payment) error) error {
	if r.crash.at(beforeIntentCommits) {
		fn = failAfter(fn)
	}
	return r.Repository.UpdateWithoutEvents(ctx, msg, orderID, fn)
}

// Update commits the answer.
func (r crashingRepository) Update(ctx context.Context, msg inbox.Key, orderID string, fn func(context.Context, *domain.Payment) error) error {
	if r.crash.at(beforeAnswerCommits) {
		fn = failAfter(fn)
	}
	return r.Repository.Update(ctx, msg, orderID, fn)
}

// failAfter makes fn's transaction roll back after fn did its work.
func failAfter(fn func(context.Context, *domain.Payment) error) func(context.Context, *domain.Payment) error {
	return func(ctx context.Context, p *domain.Payment) error { return errors.Join(fn(ctx, p), errCrash) }
}

type crashingGateway struct {
	command.Gateway
	crash *crashInjector
}

func (g crashingGateway) Charge(ctx context.Context, c command.Charge) (command.ChargeResult, error) {
	return crashAround(g.crash, func() (command.ChargeResult, error) { return g.Gateway.Charge(ctx, c) })
}

func (g crashingGateway) Refund(ctx context.Context, r command.Refund) (command.RefundResult, error) {
	return crashAround(g.crash, func() (command.RefundResult, error) { return g.Gateway.Refund(ctx, r) })
}

// crashAround makes a gateway call unless the process dies before it, and
// dies after it when that is the point.
func crashAround[T any](crash *crashInjector, call func() (T, error)) (T, error) {
	if crash.at(beforeGatewayCall) {
		panic(errCrash)
	}
	res, err := call()
	if crash.at(afterGatewayAnswered) {
		panic(errCrash)
	}
	return res, err
}

// deliver runs a handler as the consumer would, a panic ending the
// delivery with errCrash.
func deliver(handle func() (domain.Status, error)) (status domain.Status, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); !ok || !errors.Is(e, errCrash) {
				panic(r)
			}
			err = errCrash
		}
	}()
	return handle()
}

// crashTestApp is the payment application on db with a crash injector
// around its repository and gateway.
func crashTestApp(t *testing.T, db *sql.DB) (app.Application, *crashInjector) {
	t.Helper()
	crash := &crashInjector{}
	a := newAppWrapping(t, db, func(r command.Repository, g command.Gateway) (command.Repository, command.Gateway) {
		return crashingRepository{Repository: r, crash: crash}, crashingGateway{Gateway: g, crash: crash}
	})
	return a, crash
}

// outcome is what the database holds about one order's payment.
type outcome struct {
	status           domain.Status
	charges, refunds int      // in the gateway's ledger
	events           []string // in the payment outbox, in order
}

func outcomeOf(t *testing.T, db *sql.DB, orderID string) outcome {
	t.Helper()
	var o outcome // status empty: the order has no payment
	if err := db.QueryRow(`SELECT status FROM payments WHERE order_id = $1`, orderID).Scan(&o.status); err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	o.charges, o.refunds = ledger(t, db, orderID)
	// The view shows each message's envelope (JSON) within its payload.
	rows, err := db.Query(`SELECT substring(payload from '"event_type":"([A-Za-z]+)"') FROM `+outbox.Payment.ViewName()+`
		WHERE position('"order_id":"' || $1 || '"' in payload) > 0 ORDER BY transaction_id, "offset"`, orderID)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		o.events = append(o.events, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o outcome) String() string {
	return fmt.Sprintf("%s, %d charges, %d refunds, events %v", o.status, o.charges, o.refunds, o.events)
}

func (o outcome) equal(p outcome) bool {
	return o.status == p.status && o.charges == p.charges && o.refunds == p.refunds && slices.Equal(o.events, p.events)
}
