// Package httpapi is the HTTP port of the order service.
package httpapi

import (
	_ "embed"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/orderflow/orders/app"
	"github.com/orderflow/orders/internal/correlation"
)

// OpenAPI is the API's OpenAPI 3 document, served at /openapi.yaml; the
// tests check every route and response against it.
//
//go:embed openapi.yaml
var OpenAPI []byte

type server struct {
	app app.Application
}

// NewHandler returns the HTTP API of the application. extra routes (such
// as /metrics) are mounted beside the API's own.
func NewHandler(application app.Application, extra map[string]http.Handler) http.Handler {
	s := &server{app: application}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", s.placeOrder)
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
	for pattern, h := range extra {
		mux.Handle(pattern, h)
	}
	return recoverer(correlation.HTTP(logRequests(problemsForRouting(mux))))
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// problemsForRouting turns the router's plain-text 404 and 405 answers
// into problem+json, so every error of the API has one shape.
func problemsForRouting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&routingProblemWriter{ResponseWriter: w, r: r}, r)
	})
}

type routingProblemWriter struct {
	http.ResponseWriter
	r        *http.Request
	replaced bool
}

func (w *routingProblemWriter) WriteHeader(status int) {
	plain := strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain")
	switch {
	case plain && status == http.StatusNotFound:
		w.replaced = true
		writeProblem(w.ResponseWriter, w.r, Problem{Type: problemNotFound, Title: "Not found", Status: status, Detail: "no resource at this path"})
	case plain && status == http.StatusMethodNotAllowed:
		w.replaced = true
		writeProblem(w.ResponseWriter, w.r, Problem{Type: problemMethodNotAllowed, Title: "Method not allowed", Status: status,
			Detail: w.r.Method + " is not allowed here; allowed: " + w.Header().Get("Allow")})
	default:
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *routingProblemWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil // the router's plain-text body, replaced by the problem
	}
	return w.ResponseWriter.Write(b)
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		slog.DebugContext(r.Context(), "http request", "method", r.Method, "path", r.URL.Path,
			"correlation_id", correlation.ID(r.Context()),
			"status", rec.status, "duration", time.Since(start))
	})
}

// recoverer turns a panic in a handler into a 500 problem instead of a
// dropped connection; the process keeps serving.
func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { //nolint:contextcheck // the request carries its context
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // sentinel panic value, compared as net/http does
					panic(v)
				}
				slog.ErrorContext(r.Context(), "panic in handler", "panic", v)
				writeError(w, r, errors.New("panic while handling request"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
