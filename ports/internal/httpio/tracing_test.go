package httpio

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/orderflow/orders/platform/logging"
	"github.com/orderflow/orders/platform/tracing"
)

// The client's trace and span a request names in its traceparent.
const clientTrace, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"

// serveTraced records spans in memory, with exporting on or off, sends a
// request with the client's traceparent and a correlation ID through Wrap
// to a route whose handler logs one line with the request's context, and
// returns the spans and that line.
func serveTraced(t *testing.T, exporting bool) ([]sdktrace.ReadOnlySpan, map[string]any) {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	tracing.SetExporting(exporting)
	t.Cleanup(func() { tracing.SetExporting(false) })
	var out bytes.Buffer
	logger := slog.New(logging.NewContextHandler(slog.NewJSONHandler(&out, nil)))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "answered")
		w.WriteHeader(http.StatusNoContent)
	})
	req := httptest.NewRequest(http.MethodGet, "/orders/o-1", nil)
	req.Header.Set("traceparent", "00-"+clientTrace+"-"+clientSpan+"-01")
	req.Header.Set("X-Correlation-ID", "corr-9")

	Wrap(NameSpanByRoute(mux)).ServeHTTP(httptest.NewRecorder(), req)

	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	return spans.GetSpans().Snapshots(), line
}

// TestARequestIsTracedAndItsLinesCarryItsFlow: a request with a client's
// traceparent gets a span that is the client span's child, named after
// the route, and a line the handler logs carries the correlation ID and
// the span's trace and span IDs.
func TestARequestIsTracedAndItsLinesCarryItsFlow(t *testing.T) {
	got, line := serveTraced(t, true)

	if len(got) != 1 {
		t.Fatalf("%d spans, want 1", len(got))
	}
	sp := got[0]
	if sp.Name() != "GET /orders/{id}" || sp.SpanContext().TraceID().String() != clientTrace || sp.Parent().SpanID().String() != clientSpan {
		t.Errorf("span %q of trace %s with parent %s; want GET /orders/{id}, trace %s, parent %s",
			sp.Name(), sp.SpanContext().TraceID(), sp.Parent().SpanID(), clientTrace, clientSpan)
	}
	for k, v := range map[string]string{"correlation_id": "corr-9", "trace_id": clientTrace, "span_id": sp.SpanContext().SpanID().String()} {
		if line[k] != v {
			t.Errorf("%s = %v, want %s; line %v", k, line[k], v, line)
		}
	}
}

// TestWithoutExportingARequestCarriesTheClientsTraceOn: when no span is
// exported, Wrap makes no span of its own, and a line the handler logs
// still carries the client's trace and span IDs (what the outbox rows carry
// on, too).
func TestWithoutExportingARequestCarriesTheClientsTraceOn(t *testing.T) {
	got, line := serveTraced(t, false)

	if len(got) != 0 {
		t.Errorf("%d spans, want none: spans are not exported", len(got))
	}
	for k, v := range map[string]string{"correlation_id": "corr-9", "trace_id": clientTrace, "span_id": clientSpan} {
		if line[k] != v {
			t.Errorf("%s = %v, want %s; line %v", k, line[k], v, line)
		}
	}
}
