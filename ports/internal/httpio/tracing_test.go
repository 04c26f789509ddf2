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

	"github.com/orderflow/orders/internal/logging"
)

// TestARequestIsTracedAndItsLinesCarryItsFlow sends a request with a
// client's traceparent and correlation ID through Wrap: its span is the
// client span's child, named after the route, and a line the handler logs
// carries the correlation ID and the span's trace and span IDs.
func TestARequestIsTracedAndItsLinesCarryItsFlow(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	var out bytes.Buffer
	logger := slog.New(logging.NewContextHandler(slog.NewJSONHandler(&out, nil)))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "answered")
		w.WriteHeader(http.StatusNoContent)
	})
	const traceID, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req := httptest.NewRequest(http.MethodGet, "/orders/o-1", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-"+clientSpan+"-01")
	req.Header.Set("X-Correlation-ID", "corr-9")

	Wrap(NameSpanByRoute(mux)).ServeHTTP(httptest.NewRecorder(), req)

	got := spans.GetSpans()
	if len(got) != 1 {
		t.Fatalf("%d spans, want 1", len(got))
	}
	sp := got[0]
	if sp.Name != "GET /orders/{id}" || sp.SpanContext.TraceID().String() != traceID || sp.Parent.SpanID().String() != clientSpan {
		t.Errorf("span %q of trace %s with parent %s; want GET /orders/{id}, trace %s, parent %s",
			sp.Name, sp.SpanContext.TraceID(), sp.Parent.SpanID(), traceID, clientSpan)
	}
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	for k, v := range map[string]string{"correlation_id": "corr-9", "trace_id": traceID, "span_id": sp.SpanContext.SpanID().String()} {
		if line[k] != v {
			t.Errorf("%s = %v, want %s; line %s", k, line[k], v, out.String())
		}
	}
}
