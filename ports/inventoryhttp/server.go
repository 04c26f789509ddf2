// Package inventoryhttp is the inventory service's operator API: read and
// set the stock of a SKU.
package inventoryhttp

import (
	_ "embed"
	"errors"
	"net/http"
	"time"

	app "github.com/orderflow/orders/app/inventory"
	"github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/app/inventory/query"
	domain "github.com/orderflow/orders/domain/inventory"
	"github.com/orderflow/orders/ports/httpauth"
	"github.com/orderflow/orders/ports/internal/httpio"
)

// OpenAPI documents the API; the tests check responses against it.
//
//go:embed openapi.yaml
var OpenAPI []byte

const typeBelowReserved = "urn:orders:problem:stock-below-reserved"

type server struct {
	app     app.Application
	metrics httpio.Metrics // nil: none
}

// Option configures the handler NewHandler returns.
type Option func(*server)

// WithMetrics records every request's route, status and duration in m
// (adapters/metrics implements it).
func WithMetrics(m httpio.Metrics) Option { return func(s *server) { s.metrics = m } }

// NewHandler returns the inventory's HTTP API: operators only (auth's
// bearer tokens with the operator role), but for /healthz and /openapi.yaml.
func NewHandler(application app.Application, auth *httpauth.Authenticator, opts ...Option) http.Handler {
	s := &server{app: application}
	for _, opt := range opts {
		opt(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /inventory/stock/{sku}", s.getStock)
	mux.HandleFunc("PUT /inventory/stock/{sku}", s.putStock)
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(OpenAPI)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	api := httpio.Wrap(auth.Middleware(httpio.NameSpanByRoute(mux), httpauth.Policy{Public: []string{"/healthz", "/openapi.yaml"}, OperatorsOnly: true}))
	return httpio.Instrument("inventory", s.metrics, mux, api)
}

type stockResponse struct {
	SKU       string    `json:"sku"`
	OnHand    int64     `json:"on_hand"`
	Reserved  int64     `json:"reserved"`
	Available int64     `json:"available"`
	UpdatedAt time.Time `json:"updated_at"`
}

type setStockRequest struct {
	OnHand *int64 `json:"on_hand"`
}

func (s *server) getStock(w http.ResponseWriter, r *http.Request) {
	s.respondWithStock(w, r, r.PathValue("sku"))
}

func (s *server) putStock(w http.ResponseWriter, r *http.Request) {
	var req setStockRequest
	if err := httpio.DecodeJSON(w, r, &req); err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	if req.OnHand == nil {
		httpio.WriteProblem(w, r, httpio.Problem{Type: httpio.TypeValidation, Title: "The stock level is invalid", Status: http.StatusUnprocessableEntity,
			Detail: "on_hand is required", Errors: []httpio.ProblemField{{Field: "on_hand", Detail: "is required"}}})
		return
	}
	sku := r.PathValue("sku")
	err := s.app.Commands.SetStock.Handle(r.Context(), command.SetStock{SKU: sku, OnHand: *req.OnHand})
	var (
		validation *domain.ValidationError
		below      *domain.BelowReservedError
	)
	switch {
	case err == nil:
		s.respondWithStock(w, r, sku)
	case errors.As(err, &validation):
		p := httpio.Problem{Type: httpio.TypeValidation, Title: "The stock level is invalid", Status: http.StatusUnprocessableEntity, Detail: validation.Error()}
		for _, f := range validation.Fields {
			p.Errors = append(p.Errors, httpio.ProblemField{Field: f.Field, Detail: f.Problem})
		}
		httpio.WriteProblem(w, r, p)
	case errors.As(err, &below):
		httpio.WriteProblem(w, r, httpio.Problem{Type: typeBelowReserved, Title: "Stock would fall below what orders hold", Status: http.StatusConflict, Detail: below.Error()})
	default:
		httpio.WriteError(w, r, err)
	}
}

func (s *server) respondWithStock(w http.ResponseWriter, r *http.Request, sku string) {
	l, err := s.app.Queries.GetStockLevel.Handle(r.Context(), query.GetStockLevel{SKU: sku})
	switch {
	case errors.Is(err, query.ErrUnknownSKU):
		httpio.WriteProblem(w, r, httpio.Problem{Type: httpio.TypeNotFound, Title: "SKU not found", Status: http.StatusNotFound,
			Detail: "no stock was ever recorded for SKU " + sku})
	case err != nil:
		httpio.WriteError(w, r, err)
	default:
		httpio.WriteJSON(w, http.StatusOK, stockResponse{SKU: l.SKU, OnHand: l.OnHand, Reserved: l.Reserved, Available: l.Available, UpdatedAt: l.UpdatedAt})
	}
}
