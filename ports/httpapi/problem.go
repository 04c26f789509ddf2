package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/orderflow/orders/app/command"
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

// ProblemField names one invalid field of a request.
type ProblemField struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem types: stable identifiers that clients may switch on.
const (
	problemValidation       = "urn:orders:problem:validation"
	problemMalformedRequest = "urn:orders:problem:malformed-request"
	problemNotFound         = "urn:orders:problem:not-found"
	problemConflict         = "urn:orders:problem:version-conflict"
	problemTooLarge         = "urn:orders:problem:payload-too-large"
	problemUnsupportedMedia = "urn:orders:problem:unsupported-media-type"
	problemInternal         = "urn:orders:problem:internal"
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
	case errors.Is(err, order.ErrNotFound):
		writeProblem(w, r, Problem{Type: problemNotFound, Title: "Order not found", Status: http.StatusNotFound, Detail: "no order has this ID"})
	case errors.Is(err, command.ErrConcurrentUpdate):
		writeProblem(w, r, Problem{Type: problemConflict, Title: "The order was changed concurrently", Status: http.StatusConflict, Detail: "another request changed this order first; read it again and retry"})
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		w.WriteHeader(499)
	default:
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeProblem(w, r, Problem{Type: problemInternal, Title: "Internal error", Status: http.StatusInternalServerError, Detail: "the request could not be completed; it is safe to retry"})
	}
}
