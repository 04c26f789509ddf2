// Package paymenthttp is the payment service's operator API: read what
// was charged and refunded for an order.
package paymenthttp

import (
	_ "embed"
	"errors"
	"net/http"
	"time"

	app "github.com/orderflow/orders/app/payment"
	"github.com/orderflow/orders/app/payment/query"
	"github.com/orderflow/orders/ports/httpauth"
	"github.com/orderflow/orders/ports/internal/httpio"
)

// OpenAPI documents the API; the tests check responses against it.
//
//go:embed openapi.yaml
var OpenAPI []byte

type server struct {
	app     app.Application
	metrics httpio.Metrics // nil: none
}

// Option configures the handler NewHandler returns.
type Option func(*server)

// WithMetrics records every request's route, status and duration in m
// (adapters/metrics implements it).
func WithMetrics(m httpio.Metrics) Option { return func(s *server) { s.metrics = m } }

// NewHandler returns the payment service's HTTP API: operators only
// (auth's bearer tokens with the operator role), but for /healthz and
// /openapi.yaml.
func NewHandler(application app.Application, auth *httpauth.Authenticator, opts ...Option) http.Handler {
	s := &server{app: application}
	for _, opt := range opts {
		opt(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /payments", s.listPayments)
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(OpenAPI)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	api := httpio.Wrap(auth.Middleware(httpio.NameSpanByRoute(mux), httpauth.Policy{Public: []string{"/healthz", "/openapi.yaml"}, OperatorsOnly: true}))
	return httpio.Instrument("payment", s.metrics, mux, api)
}

type paymentResponse struct {
	OrderID   string    `json:"order_id"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	Status    string    `json:"status"`
	PaymentID string    `json:"payment_id,omitempty"`
	RefundID  string    `json:"refund_id,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type paymentsResponse struct {
	Payments []paymentResponse `json:"payments"`
}

func (s *server) listPayments(w http.ResponseWriter, r *http.Request) {
	payments, err := s.app.Queries.PaymentsOfOrder.Handle(r.Context(), query.PaymentsOfOrder{OrderID: r.URL.Query().Get("order_id")})
	switch {
	case errors.Is(err, query.ErrInvalidQuery):
		httpio.WriteProblem(w, r, httpio.Problem{Type: httpio.TypeInvalidParameter, Title: "A query parameter is invalid", Status: http.StatusBadRequest,
			Detail: "order_id is required", Errors: []httpio.ProblemField{{Field: "order_id", Detail: "is required"}}})
		return
	case err != nil:
		httpio.WriteError(w, r, err)
		return
	}
	resp := paymentsResponse{Payments: make([]paymentResponse, len(payments))}
	for i, p := range payments {
		resp.Payments[i] = paymentResponse(p)
	}
	httpio.WriteJSON(w, http.StatusOK, resp)
}
