package httpio

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orders/platform/tracing"
)

// traced runs each request in an HTTP server span, continuing the trace a
// client's traceparent header names (the global propagator reads it) or
// starting one. Health checks are not traced.
//
// When the process exports no spans, it only carries a client's trace
// context on (into the log lines and the outbox rows, as a span that
// records nothing would): otelhttp builds its span and metric attributes
// for every request whether or not anything records them, a visible share
// of the API's CPU per order (docs/benchmarks.md, "The API's CPU per
// order").
func traced(next http.Handler) http.Handler {
	spans := otelhttp.NewHandler(next, "http",
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" }))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tracing.Exporting() {
			spans.ServeHTTP(w, r)
			return
		}
		if ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header)); ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// NameSpanByRoute names the request's span after the route the mux chose
// ("POST /orders", "GET /orders/{id}") and records it as http.route. It
// wraps the mux itself: the mux sets the route on the request it is
// handed, which the middleware outside it (the span's) never sees.
func NameSpanByRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if r.Pattern == "" {
			return
		}
		route := r.Pattern
		if i := strings.IndexByte(route, ' '); i >= 0 {
			route = route[i+1:] // "POST /orders" names a method, then the path
		}
		span := trace.SpanFromContext(r.Context())
		span.SetName(r.Method + " " + route)
		span.SetAttributes(attribute.String("http.route", route))
	})
}
