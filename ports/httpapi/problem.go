package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/app/order/query"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/ports/internal/httpio"
)

// Problem types of the order API beyond the shared ones in httpio: stable
// identifiers that clients may switch on. The README lists them all.
const (
	problemIllegalTransition = "urn:orders:problem:illegal-transition"
	problemConflict          = "urn:orders:problem:version-conflict"
	problemKeyReused         = "urn:orders:problem:idempotency-key-reused"
	problemKeyInProgress     = "urn:orders:problem:idempotency-key-in-progress"
)

// writeError maps an error of the application to its problem: the one
// place where domain and application errors meet HTTP status codes.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		validation *order.ValidationError
		transition *order.TransitionError
	)
	switch {
	case errors.As(err, &validation):
		p := httpio.Problem{Type: httpio.TypeValidation, Title: "The order is invalid", Status: http.StatusUnprocessableEntity, Detail: validation.Error()}
		for _, f := range validation.Fields {
			p.Errors = append(p.Errors, httpio.ProblemField{Field: f.Field, Detail: f.Problem})
		}
		httpio.WriteProblem(w, r, p)
	case errors.Is(err, order.ErrAmountOverflow):
		httpio.WriteProblem(w, r, httpio.Problem{Type: httpio.TypeValidation, Title: "The order is invalid", Status: http.StatusUnprocessableEntity, Detail: "the order total is too large"})
	case errors.Is(err, query.ErrInvalidQuery):
		httpio.WriteProblem(w, r, httpio.Problem{Type: httpio.TypeInvalidParameter, Title: "A query parameter is invalid", Status: http.StatusBadRequest, Detail: err.Error()})
	case errors.Is(err, order.ErrNotFound):
		httpio.WriteProblem(w, r, httpio.Problem{Type: httpio.TypeNotFound, Title: "Order not found", Status: http.StatusNotFound, Detail: "no order has this ID"})
	case errors.As(err, &transition):
		httpio.WriteProblem(w, r, httpio.Problem{Type: problemIllegalTransition, Title: "The order does not allow this now", Status: http.StatusConflict, Detail: transition.Error()})
	case errors.Is(err, errPreconditionFailed):
		httpio.WriteProblem(w, r, httpio.Problem{Type: problemConflict, Title: "Precondition failed", Status: http.StatusPreconditionFailed, Detail: "the order is not at the version If-Match names; read it again and decide anew"})
	case errors.Is(err, command.ErrConcurrentUpdate):
		httpio.WriteProblem(w, r, httpio.Problem{Type: problemConflict, Title: "The order was changed concurrently", Status: http.StatusConflict, Detail: "the order kept changing while the command ran; read it again and decide anew"})
	case errors.Is(err, command.ErrIdempotencyKeyReused):
		httpio.WriteProblem(w, r, httpio.Problem{Type: problemKeyReused, Title: "Idempotency key reused", Status: http.StatusUnprocessableEntity, Detail: "this Idempotency-Key was used with a different request body; use a new key for a new order"})
	case errors.Is(err, command.ErrRequestInProgress):
		httpio.WriteProblem(w, r, httpio.Problem{Type: problemKeyInProgress, Title: "Request in progress", Status: http.StatusConflict, Detail: "a request with this Idempotency-Key is still being processed; retry shortly"})
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		w.WriteHeader(499)
	default: // a request error found before the application ran, or ours: a 500
		httpio.WriteError(w, r, err)
	}
}
