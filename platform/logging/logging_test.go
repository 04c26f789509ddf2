package logging_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orders/platform/correlation"
	"github.com/orderflow/orders/platform/logging"
	"github.com/orderflow/orders/platform/tracing"
)

// TestALineLoggedWhileHandlingAMessageCarriesItsFlow runs a message through
// the consumers' tracing and correlation middleware to a handler that logs
// with its context: the line has the message's correlation ID, its trace
// ID, and the ID of the handler's span.
func TestALineLoggedWhileHandlingAMessageCarriesItsFlow(t *testing.T) {
	otel.SetTracerProvider(sdktrace.NewTracerProvider())
	otel.SetTextMapPropagator(propagation.TraceContext{})
	var out bytes.Buffer
	logger := slog.New(logging.NewContextHandler(slog.NewJSONHandler(&out, nil)))

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	msg := message.NewMessage("m-1", []byte("{}"))
	msg.Metadata.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	middleware.SetCorrelationID("corr-7", msg)
	var handlerSpan trace.SpanContext
	handle := tracing.Consumer("inventory", func(*message.Message) string { return "OrderPlaced" })(
		correlation.Watermill(func(msg *message.Message) ([]*message.Message, error) {
			handlerSpan = trace.SpanContextFromContext(msg.Context())
			logger.InfoContext(msg.Context(), "reserved")
			return nil, nil
		}))
	if _, err := handle(msg); err != nil {
		t.Fatal(err)
	}

	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	want := map[string]string{
		logging.KeyCorrelationID: "corr-7",
		logging.KeyTraceID:       traceID,
		logging.KeySpanID:        handlerSpan.SpanID().String(),
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %s; line %s", k, line[k], v, strings.TrimSpace(out.String()))
		}
	}
	if handlerSpan.SpanID().String() == "00f067aa0ba902b7" {
		t.Error("the handler ran in the sender's span, not a span of its own")
	}
}

// TestALineWithoutAFlowHasNoFlowKeys: a line logged without a context (or
// one with neither correlation ID nor span) has none of the keys.
func TestALineWithoutAFlowHasNoFlowKeys(t *testing.T) {
	var out bytes.Buffer
	slog.New(logging.NewContextHandler(slog.NewJSONHandler(&out, nil))).With("role", "forwarder").Info("running")
	for _, k := range []string{logging.KeyCorrelationID, logging.KeyTraceID, logging.KeySpanID} {
		if strings.Contains(out.String(), k) {
			t.Errorf("%s in %s", k, out.String())
		}
	}
	if !strings.Contains(out.String(), `"role":"forwarder"`) {
		t.Errorf("the attributes added by With are lost: %s", out.String())
	}
}
