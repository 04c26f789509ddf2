// Package httpio is what every HTTP API of the project shares: RFC 9457
// problem details, strict JSON bodies, and the middleware each API runs
// under.
package httpio

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
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

// Problem types every API may answer with: stable identifiers that clients
// may switch on.
const (
	TypeValidation       = "urn:orders:problem:validation"
	TypeMalformedRequest = "urn:orders:problem:malformed-request"
	TypeInvalidParameter = "urn:orders:problem:invalid-parameter"
	TypeInvalidHeader    = "urn:orders:problem:invalid-header"
	TypeNotFound         = "urn:orders:problem:not-found"
	TypeTooLarge         = "urn:orders:problem:payload-too-large"
	TypeUnsupportedMedia = "urn:orders:problem:unsupported-media-type"
	TypeMethodNotAllowed = "urn:orders:problem:method-not-allowed"
	TypeInternal         = "urn:orders:problem:internal"
	TypeRateLimited      = "urn:orders:problem:rate-limited"
)

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteJSON writes body as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// RequestError is a client mistake found before the application runs.
type RequestError struct {
	Problem Problem
}

func (e *RequestError) Error() string { return e.Problem.Detail }

// InvalidParameter is a RequestError naming a query parameter.
func InvalidParameter(name, detail string) error {
	return &RequestError{Problem: Problem{
		Type: TypeInvalidParameter, Title: "A query parameter is invalid", Status: http.StatusBadRequest,
		Detail: name + " " + detail, Errors: []ProblemField{{Field: name, Detail: detail}},
	}}
}

// InvalidHeader is a RequestError naming a request header.
func InvalidHeader(name, detail string) error {
	return &RequestError{Problem: Problem{
		Type: TypeInvalidHeader, Title: "A request header is invalid", Status: http.StatusBadRequest,
		Detail: name + " " + detail, Errors: []ProblemField{{Field: name, Detail: detail}},
	}}
}

// WriteError answers a RequestError with its problem, a database out of
// reach with a 503 and Retry-After, and anything else with a logged 500
// that gives nothing away: no SQL, no error text, only the request's
// correlation ID as its instance, to find the log line by.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var requestErr *RequestError
	if errors.As(err, &requestErr) {
		WriteProblem(w, r, requestErr.Problem)
		return
	}
	if Unavailable(err) {
		slog.WarnContext(r.Context(), "database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		writeUnavailable(w, r)
		return
	}
	slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	WriteProblem(w, r, Problem{Type: TypeInternal, Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "internal error", Instance: occurrence(r)})
}
