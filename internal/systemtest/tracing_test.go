package systemtest

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/platform/tracing"
)

// spans records every span of the process once a tracing test installed
// it as the global TracerProvider: the API, the forwarders and the consumers
// of startSystem all run here and share it. Tests find theirs by trace ID.
var (
	spans        = tracetest.NewInMemoryExporter()
	installSpans sync.Once
)

func recordSpans() {
	installSpans.Do(func() {
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)))
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
		tracing.SetExporting(true)
	})
}

// edge is a span expected in a trace and the span expected as its parent.
type edge struct{ child, parent string }

// sagaEdges are the hops of an order placed and confirmed: the request,
// the command, each event forwarded by a forwarder, handled by a consumer, its
// command, its event forwarded, and so on to the saga's last command.
func sagaEdges(s *inProcess) []edge {
	forwardOrders, forwardInventory, forwardPayments := "outbox forward "+s.OrdersTopic, "outbox forward "+s.InventoryTopic, "outbox forward "+s.PayTopic
	return []edge{
		{"command PlaceOrder", "POST /orders"},
		{forwardOrders, "command PlaceOrder"},
		{"inventory process OrderPlaced", forwardOrders},
		{"command ReserveStock", "inventory process OrderPlaced"},
		{forwardInventory, "command ReserveStock"},
		{"order-saga process StockReserved", forwardInventory},
		{"command RecordStockReservation", "order-saga process StockReserved"},
		{forwardOrders, "command RecordStockReservation"},
		{"payment process OrderStockReserved", forwardOrders},
		{"command ChargePayment", "payment process OrderStockReserved"},
		{forwardPayments, "command ChargePayment"},
		{"order-saga process PaymentCaptured", forwardPayments},
		{"command RecordPayment", "order-saga process PaymentCaptured"},
	}
}

// TestOnePlacementIsOneTraceAcrossTheOutboxHops places an order that ends
// confirmed and finds one trace from the HTTP request through every forwarder
// and consumer to the saga's last command, each hop the child of the one
// before it (the trace is continued, not restarted), and the trace context
// in the Kafka record headers.
func TestOnePlacementIsOneTraceAcrossTheOutboxHops(t *testing.T) {
	t.Parallel()
	recordSpans()
	s := startInProcess(t, options{})
	s.setStock(t, "TRACED", 10)
	var o orderJSON
	if st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders", nil,
		map[string]any{"customer_id": "c-trace", "currency": "EUR", "items": []line{{SKU: "TRACED", Quantity: 1, UnitPrice: 500}}}, &o); st != http.StatusCreated {
		t.Fatalf("place order: status %d", st)
	}

	// The forwarder's span of the OrderPlaced record names the order: its
	// trace is the placement's.
	var traceID trace.TraceID
	testenv.WaitFor(t, time.Minute, "the forwarder's span of the order's first event", func() (bool, string) {
		for _, sp := range spans.GetSpans() {
			if strings.HasPrefix(sp.Name, "outbox forward ") && attr(sp, "messaging.kafka.message.key") == o.ID {
				traceID = sp.SpanContext.TraceID()
				return true, ""
			}
		}
		return false, "none yet"
	})
	trail := waitForEdges(t, traceID, sagaEdges(s))

	for _, sp := range trail {
		if sp.Name == "POST /orders" && sp.Parent.IsValid() {
			t.Errorf("the request's span has a parent %s; the client sent no trace", sp.Parent.SpanID())
		}
	}
	records := readTopic(t, s.Brokers, s.OrdersTopic)
	var ofOrder int
	for _, r := range records {
		if r.Key != o.ID {
			continue
		}
		ofOrder++
		tp := r.Headers["traceparent"]
		if !strings.HasPrefix(tp, "00-"+traceID.String()+"-") {
			t.Errorf("record %d@%d of the order: traceparent %q, want one of trace %s", r.Offset, r.Partition, tp, traceID)
			continue
		}
		// The forwarder's span ends when the broker's acknowledgement reaches
		// it, which may be just after the record can be read.
		spanID := strings.Split(tp, "-")[2]
		testenv.WaitFor(t, 30*time.Second, "the forwarder span "+spanID+" of record "+tp, func() (bool, string) {
			return slices.ContainsFunc(spans.GetSpans(), func(sp tracetest.SpanStub) bool {
				return sp.SpanContext.SpanID().String() == spanID && strings.HasPrefix(sp.Name, "outbox forward ")
			}), "no such span"
		})
	}
	if ofOrder == 0 {
		t.Error("no record of the order on the orders topic")
	}
}

// TestAClientsTraceparentIsHonoured sends a W3C traceparent with the
// placement: the request's span is its child, and the forwarder's and the
// consumers' spans are in the client's trace.
func TestAClientsTraceparentIsHonoured(t *testing.T) {
	t.Parallel()
	recordSpans()
	s := startInProcess(t, options{})
	s.setStock(t, "TRACED", 10)
	const clientTrace, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	if st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders", map[string]string{"traceparent": "00-" + clientTrace + "-" + clientSpan + "-01"},
		map[string]any{"customer_id": "c-trace", "currency": "EUR", "items": []line{{SKU: "TRACED", Quantity: 1, UnitPrice: 500}}}, nil); st != http.StatusCreated {
		t.Fatalf("place order: status %d", st)
	}
	traceID, err := trace.TraceIDFromHex(clientTrace)
	if err != nil {
		t.Fatal(err)
	}
	trail := waitForEdges(t, traceID, []edge{
		{"command PlaceOrder", "POST /orders"},
		{"outbox forward " + s.OrdersTopic, "command PlaceOrder"},
		{"inventory process OrderPlaced", "outbox forward " + s.OrdersTopic},
	})
	for _, sp := range trail {
		if sp.Name == "POST /orders" && sp.Parent.SpanID().String() != clientSpan {
			t.Errorf("the request's span has parent %s, want the client's span %s", sp.Parent.SpanID(), clientSpan)
		}
	}
}

// waitForEdges waits until every edge is in the trace and returns the
// trace's spans; it fails the test with the edges missing after a minute.
func waitForEdges(t *testing.T, traceID trace.TraceID, edges []edge) []tracetest.SpanStub {
	t.Helper()
	var trail []tracetest.SpanStub
	var missing []edge
	deadline := time.Now().Add(time.Minute)
	for {
		trail = trail[:0]
		for _, sp := range spans.GetSpans() {
			if sp.SpanContext.TraceID() == traceID {
				trail = append(trail, sp)
			}
		}
		missing = missing[:0]
		for _, e := range edges {
			if !hasEdge(trail, e) {
				missing = append(missing, e)
			}
		}
		if len(missing) == 0 {
			return trail
		}
		if time.Now().After(deadline) {
			names := make([]string, len(trail))
			for i, sp := range trail {
				names[i] = sp.Name
			}
			t.Fatalf("trace %s: missing (child <- parent) %v\nits spans: %v", traceID, missing, names)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// hasEdge says whether trail has a span named e.child whose parent is a
// span of trail named e.parent.
func hasEdge(trail []tracetest.SpanStub, e edge) bool {
	byID := map[trace.SpanID]string{}
	for _, sp := range trail {
		byID[sp.SpanContext.SpanID()] = sp.Name
	}
	for _, sp := range trail {
		if sp.Name == e.child && byID[sp.Parent.SpanID()] == e.parent {
			return true
		}
	}
	return false
}

func attr(sp tracetest.SpanStub, key string) string {
	for _, kv := range sp.Attributes {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}
