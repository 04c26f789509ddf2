package httpio

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// traced runs each request in an HTTP server span, continuing the trace a
// client's traceparent header names (the global propagator reads it) or
// starting one. Health checks are not traced.
func traced(next http.Handler) http.Handler {
	return otelhttp.NewHandler(next, "http",
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" }))
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
