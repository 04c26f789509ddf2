package service_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/paymentgateway"
	"github.com/orderflow/orders/app/payment/command"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/ports/messaging"
)

// TestChargesRunInBatchesAndCallTheGatewayOnlyOnceTheirIntentCommitted
// gives the payment service's consumer a backlog of placed orders and
// their reservations. The placements cost the payment service nothing: the
// reservation carries the total, and opens the payment with its charge's
// intent. The charges' intents commit in batches; the gateway
// is called for a charge only once its intent is committed (a cancellation
// that found the payment still due would void it while money moved); a
// gateway that fails once, after its batch committed, costs its order a
// retry alone and no second charge. The backlog delivered again charges
// nothing more. The answers of a batch's charges are recorded in one more
// transaction.
func TestChargesRunInBatchesAndCallTheGatewayOnlyOnceTheirIntentCommitted(t *testing.T) {
	t.Parallel()
	db, brokers := testenv.DB(t), testenv.Kafka(t)
	topic, dlq := testenv.Topic(t, brokers, 6), testenv.Topic(t, brokers, 1)
	simulated, err := paymentgateway.NewSimulated(db, paymentgateway.DefaultDeclineAbove)
	if err != nil {
		t.Fatal(err)
	}
	const orders = 90
	var placed, reserved []*message.Message
	for range orders {
		id := uuid.NewString()
		placed = append(placed, placedOf(t, id, 1))
		reserved = append(reserved, testenv.OrderEvent(t, id, 2, orderevents.OrderStockReserved{Currency: "EUR", Total: 1299}))
	}
	gateway := &checkingGateway{Gateway: simulated, db: db, failOnce: reserved[orders/2].Metadata.Get("partition_key")}
	app, err := service.NewPaymentApplication(db, testenv.OutboxPublisher(t, outbox.Payment), gateway, "payment.events",
		service.Telemetry{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	testenv.PublishToKafka(t, brokers, topic, append(placed, reserved...)...)

	reg := prometheus.NewRegistry()
	consumer, err := service.NewPaymentConsumer(db, app, topic, service.ConsumerConfig{
		Brokers: brokers, DeadLetterTopic: dlq, Logger: slog.New(slog.DiscardHandler), Registerer: reg, BatchSize: 64,
		ConsumerGroup: "payment." + strings.TrimPrefix(topic, "test."),
		Retry:         messaging.RetryConfig{MaxRetries: 3, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	testenv.RunConsumer(t, consumer)

	testenv.WaitFor(t, 90*time.Second, "every payment captured", func() (bool, string) {
		captured := count(t, db, `SELECT count(*) FROM payments WHERE status = 'captured'`)
		return captured == orders, fmt.Sprintf("%d of %d captured", captured, orders)
	})
	if v := gateway.violations(); len(v) > 0 {
		t.Errorf("the gateway was called before the charge's intent committed: %v", v)
	}
	if !gateway.failed {
		t.Error("the gateway's one failure never happened")
	}
	// The intent's inbox record and its payment's status commit together.
	intents := count(t, db, `SELECT count(DISTINCT xmin::text) FROM payment_inbox WHERE version = 2`)
	t.Logf("%d charges' intents in %d transactions", orders, intents)
	if intents > orders*2/3 {
		t.Errorf("%d charges' intents took %d transactions: they were not batched", orders, intents)
	}
	// The answers too: a batch's charges, once their gateway calls
	// returned, record them in one more transaction of the batch's.
	answers := count(t, db, `SELECT count(DISTINCT xmin::text) FROM payments WHERE status = 'captured'`)
	t.Logf("%d charges' answers in %d transactions", orders, answers)
	if answers > orders*2/3 {
		t.Errorf("%d charges' answers took %d transactions: they were not batched", orders, answers)
	}
	if got := count(t, db, `SELECT count(*) FROM payment_gateway_ledger WHERE kind = 'charge' AND amount = 1299`); got != orders {
		t.Errorf("charges of 1299 in the gateway's ledger: %d, want %d", got, orders)
	}
	if got := count(t, db, `SELECT count(*) FROM payment_inbox WHERE version = 1`); got != 0 {
		t.Errorf("%d OrderPlaced recorded in the payment service's inbox, want none: it needs only the reservation", got)
	}

	scrape := scraper(t, reg)
	testenv.PublishToKafka(t, brokers, topic, reserved...)
	testenv.WaitFor(t, 90*time.Second, "the redelivered reservations acknowledged as duplicates", func() (bool, string) {
		series := `orders_consumer_messages_duplicate_total{consumer="payment",event_type="OrderStockReserved"}`
		got := scrape()[series]
		return got >= orders, fmt.Sprintf("%s = %v", series, got)
	})
	if got := count(t, db, `SELECT count(*) FROM payment_gateway_ledger WHERE kind = 'charge'`); got != orders {
		t.Errorf("charges in the gateway's ledger after the redelivery: %d, want %d", got, orders)
	}
	if got := count(t, db, `SELECT count(*) FROM payment_parked_messages`); got != 0 {
		t.Errorf("%d messages parked, want none", got)
	}
}

// checkingGateway reads, on each charge, the payment's committed status
// from another connection, and fails the first charge of one order.
type checkingGateway struct {
	command.Gateway
	db       *sql.DB
	failOnce string

	mu     sync.Mutex
	failed bool
	bad    []string
}

func (g *checkingGateway) Charge(ctx context.Context, c command.Charge) (command.ChargeResult, error) {
	var status string
	if err := g.db.QueryRowContext(ctx, `SELECT status FROM payments WHERE order_id = $1`, c.OrderID).Scan(&status); err != nil || status != "charging" {
		g.mu.Lock()
		g.bad = append(g.bad, fmt.Sprintf("%s: %q %v", c.OrderID, status, err))
		g.mu.Unlock()
	}
	g.mu.Lock()
	fail := c.OrderID == g.failOnce && !g.failed
	g.failed = g.failed || fail
	g.mu.Unlock()
	if fail {
		return command.ChargeResult{}, errors.New("gateway timeout")
	}
	return g.Gateway.Charge(ctx, c)
}

func (g *checkingGateway) violations() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.bad...)
}
