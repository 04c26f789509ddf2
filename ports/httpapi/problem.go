package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/orderflow/orders/app/command"
	"github.com/orderflow/orders/app/query"
	"github.com/orderflow/orders/domain/order"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []ProblemField `json:"errors,omitempty"`
}

// ProblemField names one invalid field, parameter or header of a request.
type ProblemField struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem types: stable identifiers that clients may switch on. The
// README lists them with their status codes.
const (
	problemValidation        = "urn:orders:problem:validation"
	problemMalformedRequest  = "urn:orders:problem:malformed-request"
	problemInvalidParameter  = "urn:orders:problem:invalid-parameter"
	problemInvalidHeader     = "urn:orders:problem:invalid-header"
	problemNotFound          = "urn:orders:problem:not-found"
	problemIllegalTransition = "urn:orders:problem:illegal-transition"
	problemConflict          = "urn:orders:problem:version-conflict"
	problemKeyReused         = "urn:orders:problem:idempotency-key-reused"
	problemKeyInProgress     = "urn:orders:problem:idempotency-key-in-progress"
	problemTooLarge          = "urn:orders:problem:payload-too-large"
	problemUnsupportedMedia  = "urn:orders:problem:unsupported-media-type"
	problemMethodNotAllowed  = "urn:orders:problem:method-not-allowed"
	problemInternal          = "urn:orders:problem:internal"
)

const problemContentType = "application/problem+json"

func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", problemContentType)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeError maps an error of the application to its problem: the one
// place where domain and application errors meet HTTP status codes.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		validation *order.ValidationError
		transition *order.TransitionError
		requestErr *requestError
	)
	switch {
	case errors.As(err, &requestErr):
		writeProblem(w, r, requestErr.problem)
	case errors.As(err, &validation):
		p := Problem{Type: problemValidation, Title: "The order is invalid", Status: http.StatusUnprocessableEntity, Detail: validation.Error()}
		for _, f := range validation.Fields {
			p.Errors = append(p.Errors, ProblemField{Field: f.Field, Detail: f.Problem})
		}
		writeProblem(w, r, p)
	case errors.Is(err, order.ErrAmountOverflow):
		writeProblem(w, r, Problem{Type: problemValidation, Title: "The order is invalid", Status: http.StatusUnprocessableEntity, Detail: "the order total is too large"})
	case errors.Is(err, query.ErrInvalidQuery):
		writeProblem(w, r, Problem{Type: problemInvalidParameter, Title: "A query parameter is invalid", Status: http.StatusBadRequest, Detail: err.Error()})
	case errors.Is(err, order.ErrNotFound):
		writeProblem(w, r, Problem{Type: problemNotFound, Title: "Order not found", Status: http.StatusNotFound, Detail: "no order has this ID"})
	case errors.As(err, &transition):
		writeProblem(w, r, Problem{Type: problemIllegalTransition, Title: "The order does not allow this now", Status: http.StatusConflict, Detail: transition.Error()})
	case errors.Is(err, command.ErrConcurrentUpdate):
		writeProblem(w, r, Problem{Type: problemConflict, Title: "The order was changed concurrently", Status: http.StatusConflict, Detail: "the order is not at the version you expected; read it again and decide anew"})
	case errors.Is(err, command.ErrIdempotencyKeyReused):
		writeProblem(w, r, Problem{Type: problemKeyReused, Title: "Idempotency key reused", Status: http.StatusUnprocessableEntity, Detail: "this Idempotency-Key was used with a different request body; use a new key for a new order"})
	case errors.Is(err, command.ErrRequestInProgress):
		writeProblem(w, r, Problem{Type: problemKeyInProgress, Title: "Request in progress", Status: http.StatusConflict, Detail: "a request with this Idempotency-Key is still being processed; retry shortly"})
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		w.WriteHeader(499)
	default:
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeProblem(w, r, Problem{Type: problemInternal, Title: "Internal error", Status: http.StatusInternalServerError, Detail: "the request could not be completed; it is safe to retry"})
	}
}
