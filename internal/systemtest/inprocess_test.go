package systemtest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/paymentgateway"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/httpapi"
	"github.com/orderflow/orders/ports/inventoryhttp"
	"github.com/orderflow/orders/ports/messaging"
	"github.com/orderflow/orders/ports/paymenthttp"
)

// inProcess is every part of the saga running in this process, on topics
// and consumer groups of its own: the order API, the three outboxes'
// forwarders, the inventory, payment and saga routers, and the inventory's
// and payment service's APIs, each behind httptest.
type inProcess struct {
	DB                                                     *sql.DB
	Brokers                                                []string
	OrdersTopic, InventoryTopic, PayTopic                  string
	InventoryDeadLetter, PaymentDeadLetter, SagaDeadLetter string
	OrdersURL, InventoryURL, PaymentsURL                   string
	client                                                 *http.Client
	inventoryClient, paymentsClient                        *http.Client
}

type options struct {
	duplicateDelivery bool
	// lockTimeout, when set, is the lock_timeout of the services' pool
	// (DATABASE_LOCK_TIMEOUT).
	lockTimeout time.Duration
	// retry, when set, replaces the consumers' retries.
	retry *messaging.RetryConfig
}

// startInProcess starts the whole saga in this process on a harness of
// its own: its database, topics and consumer groups.
func startInProcess(t *testing.T, opts options) *inProcess {
	t.Helper()
	h := newHarness(t, setup{})
	db, brokers := h.db, h.brokers
	if opts.lockTimeout > 0 {
		var err error
		if db, err = postgres.Open(context.Background(), h.dbURL, postgres.LockTimeout(opts.lockTimeout)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
	}
	s := &inProcess{
		DB: db, Brokers: brokers,
		OrdersTopic:         h.value("ORDERS_TOPIC"),
		InventoryTopic:      h.value("INVENTORY_TOPIC"),
		PayTopic:            h.value("PAYMENTS_TOPIC"),
		InventoryDeadLetter: h.value("INVENTORY_DEAD_LETTER_TOPIC"),
		PaymentDeadLetter:   h.value("PAYMENT_DEAD_LETTER_TOPIC"),
		SagaDeadLetter:      h.value("SAGA_DEAD_LETTER_TOPIC"),
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(&testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	kafkaPub, err := kafka.NewPublisher(brokers, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	publishers := map[string]*outbox.Publisher{}
	var forwarders []*forwarder.Forwarder
	for _, cfg := range []outbox.Config{outbox.Orders, outbox.Inventory, outbox.Payment} {
		fwd, err := forwarder.New(db, forwarder.Config{Outbox: cfg, Publisher: kafkaPub, IdlePollInterval: 50 * time.Millisecond}, nil)
		if err != nil {
			t.Fatal(err)
		}
		forwarders = append(forwarders, fwd)
		if publishers[cfg.Name], err = outbox.NewPublisher(outbox.PublisherConfig{Outbox: cfg, WakeUp: fwd.Wake}, nil); err != nil {
			t.Fatal(err)
		}
	}

	orders, err := service.NewApplication(db, publishers["orders"], s.OrdersTopic, service.Telemetry{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	inventoryApp, err := service.NewInventoryApplication(db, publishers["inventory"], s.InventoryTopic, service.Telemetry{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	gateway, err := paymentgateway.NewSimulated(db, declineAbove)
	if err != nil {
		t.Fatal(err)
	}
	paymentApp, err := service.NewPaymentApplication(db, publishers["payment"], gateway, s.PayTopic, service.Telemetry{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}

	retry := messaging.RetryConfig{MaxRetries: 3, InitialInterval: 20 * time.Millisecond, MaxInterval: 200 * time.Millisecond}
	if opts.retry != nil {
		retry = *opts.retry
	}
	consumerCfg := func(groupVariable, dlq string) service.ConsumerConfig {
		return service.ConsumerConfig{
			Brokers: brokers, ConsumerGroup: h.value(groupVariable), DeadLetterTopic: dlq,
			Retry: retry, DuplicateDelivery: opts.duplicateDelivery, Logger: logger,
		}
	}
	inventory, err := service.NewInventoryConsumer(db, inventoryApp, s.OrdersTopic, consumerCfg("INVENTORY_CONSUMER_GROUP", s.InventoryDeadLetter))
	if err != nil {
		t.Fatal(err)
	}
	payment, err := service.NewPaymentConsumer(db, paymentApp, s.OrdersTopic, consumerCfg("PAYMENT_CONSUMER_GROUP", s.PaymentDeadLetter))
	if err != nil {
		t.Fatal(err)
	}
	saga, err := service.NewSagaConsumer(db, publishers["orders"], s.OrdersTopic, s.InventoryTopic, s.PayTopic, consumerCfg("SAGA_CONSUMER_GROUP", s.SagaDeadLetter))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	for _, fwd := range forwarders {
		g.Go(func() error { return fwd.Run(gctx) })
	}
	for _, c := range []*service.Consumer{inventory, payment, saga} {
		g.Go(func() error { return c.Run(gctx) })
	}
	t.Cleanup(func() {
		cancel()
		if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("services: %v", err)
		}
		_ = kafkaPub.Close()
	})

	ordersSrv := httptest.NewServer(httpapi.NewHandler(orders, testenv.Auth(), nil))
	inventorySrv := httptest.NewServer(inventoryhttp.NewHandler(inventoryApp, testenv.Auth()))
	paymentsSrv := httptest.NewServer(paymenthttp.NewHandler(paymentApp, testenv.Auth()))
	t.Cleanup(ordersSrv.Close)
	t.Cleanup(inventorySrv.Close)
	t.Cleanup(paymentsSrv.Close)
	s.OrdersURL, s.InventoryURL, s.PaymentsURL = ordersSrv.URL, inventorySrv.URL, paymentsSrv.URL
	// Operators: they place orders for any customer, ship, and use the
	// inventory and payment APIs.
	operator := testenv.OperatorToken(t)
	s.client = testenv.WithBearer(&http.Client{Timeout: 30 * time.Second}, operator)
	s.inventoryClient = testenv.WithBearer(testenv.ConformingClient(t, inventoryhttp.OpenAPI), operator)
	s.inventoryClient.Timeout = 30 * time.Second
	s.paymentsClient = testenv.WithBearer(testenv.ConformingClient(t, paymenthttp.OpenAPI), operator)
	s.paymentsClient.Timeout = 30 * time.Second
	return s
}

// call sends a JSON request and decodes a JSON answer into out (when not
// nil); it returns the status.
func call(t *testing.T, client *http.Client, method, url string, headers map[string]string, body, out any) int {
	t.Helper()
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Errorf("%s %s: decode %s: %v", method, url, raw, err)
		}
	}
	return resp.StatusCode
}

type stockJSON struct {
	SKU       string `json:"sku"`
	OnHand    int64  `json:"on_hand"`
	Reserved  int64  `json:"reserved"`
	Available int64  `json:"available"`
}

func (s *inProcess) setStock(t *testing.T, sku string, onHand int64) {
	t.Helper()
	if st := call(t, s.inventoryClient, http.MethodPut, s.InventoryURL+"/inventory/stock/"+sku, nil, map[string]int64{"on_hand": onHand}, nil); st != http.StatusOK {
		t.Fatalf("PUT stock %s: status %d", sku, st)
	}
}

func (s *inProcess) stock(t *testing.T, sku string) stockJSON {
	t.Helper()
	var out stockJSON
	if st := call(t, s.inventoryClient, http.MethodGet, s.InventoryURL+"/inventory/stock/"+sku, nil, nil, &out); st != http.StatusOK {
		t.Fatalf("GET stock %s: status %d", sku, st)
	}
	return out
}

type paymentJSON struct {
	Status    string `json:"status"`
	Amount    int64  `json:"amount"`
	PaymentID string `json:"payment_id"`
	RefundID  string `json:"refund_id"`
}

func (s *inProcess) payments(t *testing.T, orderID string) []paymentJSON {
	t.Helper()
	var out struct {
		Payments []paymentJSON `json:"payments"`
	}
	if st := call(t, s.paymentsClient, http.MethodGet, s.PaymentsURL+"/payments?order_id="+orderID, nil, nil, &out); st != http.StatusOK {
		t.Fatalf("GET payments: status %d", st)
	}
	return out.Payments
}

// testWriter sends log lines to t.Log.
type testWriter struct {
	t  *testing.T
	mu sync.Mutex
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
