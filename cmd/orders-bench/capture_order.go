package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/paymentgateway"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	inventorycommand "github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/ports/messaging"
)

// The capture's topics: names only, no message goes to Kafka.
const (
	captureOrdersTopic    = "ordersbench.capture.orders"
	captureInventoryTopic = "ordersbench.capture.inventory"
	capturePaymentsTopic  = "ordersbench.capture.payments"
)

// capturedSKUs are the two SKUs of the captured order, lines in this order
// (confirmedOrderScript draws others per transaction).
var capturedSKUs = [2]int{17, 42}

// captureConfirmedOrder runs one order from placement to confirmed on the
// database at url, in this process, through the services' own code: the
// API's handler places it, and the inventory's, the payment service's and
// the saga's consumers (their Watermill routers, middleware and handlers,
// as `orders all` builds them) handle its messages. It returns every
// transaction the order's flow committed, in order, and the statements
// sent outside one. Instead of the forwarders and Kafka, each message an
// outbox takes is handed, after its transaction, to each consumer in turn
// (in memory, each delivery acknowledged before the next), so that one
// transaction runs at a time and the forwarders' own statements are left out.
// Every SKU of the catalogue gets stock first (not captured).
func captureConfirmedOrder(ctx context.Context, url string, brokers []string, deadLetters string) ([]capturedTx, error) {
	db, rec, err := openRecorded(url, 4) // the stores prepare in the background
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()

	mail := &mailbox{}
	publisher := func(cfg outbox.Config) (*keepingOutbox, error) {
		pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: cfg}, nil)
		return &keepingOutbox{Publisher: pub, mail: mail}, err
	}
	ordersBox, err := publisher(outbox.Orders)
	if err != nil {
		return nil, err
	}
	inventoryBox, err := publisher(outbox.Inventory)
	if err != nil {
		return nil, err
	}
	paymentBox, err := publisher(outbox.Payment)
	if err != nil {
		return nil, err
	}
	quiet := service.Telemetry{Logger: slog.New(slog.DiscardHandler)}
	orders, err := service.NewApplication(db, ordersBox, captureOrdersTopic, quiet)
	if err != nil {
		return nil, err
	}
	inventory, err := service.NewInventoryApplication(db, inventoryBox, captureInventoryTopic, quiet)
	if err != nil {
		return nil, err
	}
	gateway, err := paymentgateway.NewSimulated(db, paymentgateway.DefaultDeclineAbove)
	if err != nil {
		return nil, err
	}
	payment, err := service.NewPaymentApplication(db, paymentBox, gateway, capturePaymentsTopic, quiet)
	if err != nil {
		return nil, err
	}
	for i := range skus {
		if err := inventory.Commands.SetStock.Handle(ctx, inventorycommand.SetStock{SKU: skuName(i), OnHand: 1_000_000_000}); err != nil {
			return nil, err
		}
	}

	inboxes := make([]*gochannel.GoChannel, 3)
	cfg := func(i int) service.ConsumerConfig {
		inboxes[i] = gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, watermill.NopLogger{})
		return service.ConsumerConfig{
			Brokers: brokers, ConsumerGroup: "capture", DeadLetterTopic: deadLetters, Subscriber: inboxes[i],
			Retry:  messaging.RetryConfig{MaxRetries: 1, InitialInterval: 10 * time.Millisecond, MaxInterval: 10 * time.Millisecond},
			Logger: quiet.Logger,
		}
	}
	var consumers []*service.Consumer
	c, err := service.NewInventoryConsumer(db, inventory, captureOrdersTopic, cfg(0)) //nolint:contextcheck // the router handles each message on the message's own context
	if err != nil {
		return nil, err
	}
	consumers = append(consumers, c)
	if c, err = service.NewPaymentConsumer(db, payment, captureOrdersTopic, cfg(1)); err != nil { //nolint:contextcheck // the router handles each message on the message's own context
		return nil, err
	}
	consumers = append(consumers, c)
	if c, err = service.NewSagaConsumer(db, ordersBox, captureOrdersTopic, captureInventoryTopic, capturePaymentsTopic, cfg(2)); err != nil { //nolint:contextcheck // the router handles each message on the message's own context
		return nil, err
	}
	consumers = append(consumers, c)
	stop, err := runConsumers(ctx, consumers)
	if err != nil {
		return nil, err
	}
	defer stop()

	mail.take() // the stock's messages: no consumer wants them
	rec.reset()
	body := fmt.Appendf(nil, `{"customer_id":"c-1","currency":"EUR","items":[`+
		`{"sku":%q,"quantity":1,"unit_price":1299},{"sku":%q,"quantity":2,"unit_price":450}]}`,
		skuName(capturedSKUs[0]), skuName(capturedSKUs[1]))
	if err := postOrder(ctx, orders, body); err != nil {
		return nil, err
	}
	var orderID string
	for delivered := 0; ; {
		pending := mail.take()
		if len(pending) == 0 {
			break
		}
		for _, m := range pending {
			if orderID == "" {
				orderID = m.msg.Metadata.Get("partition_key")
			}
			for _, in := range inboxes {
				if err := in.Publish(m.topic, m.msg.Copy()); err != nil {
					return nil, err
				}
			}
			if delivered++; delivered > 100 {
				return nil, errors.New("capture: the order's flow did not end after 100 messages")
			}
		}
	}
	txs := rec.committed()
	if err := confirmedOnce(ctx, db, orderID, rec); err != nil {
		return nil, err
	}
	return txs, nil
}

// confirmedOnce checks that the captured order ended confirmed, with no
// transaction rolled back on the way (a retry would be captured twice).
func confirmedOnce(ctx context.Context, db *sql.DB, orderID string, rec *transactionLog) error {
	var status string
	if err := db.QueryRowContext(ctx, `SELECT status FROM orders WHERE id = $1`, orderID).Scan(&status); err != nil {
		return fmt.Errorf("capture: order %q: %w", orderID, err)
	}
	if status != string(order.StatusConfirmed) {
		return fmt.Errorf("capture: order %s ended %s, want %s", orderID, status, order.StatusConfirmed)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.rolledBack > 0 {
		return fmt.Errorf("capture: %d transactions of the order's flow rolled back", rec.rolledBack)
	}
	return nil
}

// runConsumers runs the consumers until stop is called, once each is
// subscribed.
func runConsumers(ctx context.Context, consumers []*service.Consumer) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stop = func() { cancel(); wg.Wait() }
	for _, c := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Run(ctx)
		}()
	}
	for _, c := range consumers {
		select {
		case <-c.Running():
		case <-time.After(30 * time.Second):
			stop()
			return nil, errors.New("capture: a consumer did not start within 30 s")
		}
	}
	return stop, nil
}

// keepingOutbox writes to the real outbox and keeps a copy of each message
// for the capture to deliver once the transaction has committed.
type keepingOutbox struct {
	*outbox.Publisher
	mail *mailbox
}

func (k *keepingOutbox) Publish(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs ...*message.Message) error {
	if err := k.Publisher.Publish(ctx, uow, destination, msgs...); err != nil {
		return err
	}
	k.mail.put(destination, msgs)
	return nil
}

var _ postgres.Outbox = (*keepingOutbox)(nil)

// mailbox is the messages the outboxes took, in order, with their topics.
type mailbox struct {
	mu   sync.Mutex
	msgs []addressed
}

type addressed struct {
	topic string
	msg   *message.Message
}

func (m *mailbox) put(topic string, msgs []*message.Message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, msg := range msgs {
		m.msgs = append(m.msgs, addressed{topic: topic, msg: msg.Copy()})
	}
}

func (m *mailbox) take() []addressed {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.msgs
	m.msgs = nil
	return out
}
