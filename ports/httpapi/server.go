// Package httpapi is the HTTP port of the order service.
package httpapi

import (
	_ "embed"
	"net/http"
	"strings"

	app "github.com/orderflow/orders/app/order"
	"github.com/orderflow/orders/ports/httpauth"
	"github.com/orderflow/orders/ports/internal/httpio"
)

// OpenAPI is the API's OpenAPI 3 document, served at /openapi.yaml; the
// tests check every route and response against it.
//
//go:embed openapi.yaml
var OpenAPI []byte

type server struct {
	app         app.Application
	createLimit *clientLimiter // nil: no limit (ratelimit.go)
	metrics     httpio.Metrics // nil: none
}

// WithMetrics records every request's route, status and duration in m
// (adapters/metrics implements it).
func WithMetrics(m httpio.Metrics) Option { return func(s *server) { s.metrics = m } }

// NewHandler returns the HTTP API of the application, every route but
// /healthz and /openapi.yaml behind auth's bearer tokens. extra routes
// (such as /metrics) are mounted beside the API's own, without
// authentication.
func NewHandler(application app.Application, auth *httpauth.Authenticator, extra map[string]http.Handler, opts ...Option) http.Handler {
	s := &server{app: application}
	for _, opt := range opts {
		opt(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", s.createLimit.limited(s.placeOrder))
	mux.HandleFunc("GET /orders", s.listOrders)
	mux.HandleFunc("GET /orders/{id}", s.getOrder)
	mux.HandleFunc("GET /orders/{id}/events", s.orderEvents)
	mux.HandleFunc("POST /orders/{id}/cancel", s.cancelOrder)
	mux.HandleFunc("POST /orders/{id}/ship", s.shipOrder)
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(OpenAPI)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	public := []string{"/healthz", "/openapi.yaml"}
	for pattern, h := range extra {
		mux.Handle(pattern, h)
		public = append(public, pattern[strings.LastIndexByte(pattern, ' ')+1:]) // "GET /metrics" → "/metrics"
	}
	api := httpio.Wrap(auth.Middleware(httpio.NameSpanByRoute(mux), httpauth.Policy{Public: public}))
	return httpio.Instrument("orders", s.metrics, mux, api)
}
