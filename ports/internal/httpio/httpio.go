// Package httpio is what the small operator APIs of the inventory and
// payment services share: RFC 9457 problem details in the style of
// ports/httpapi, JSON bodies, and the middleware every API runs under.
package httpio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/orderflow/orders/internal/correlation"
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

// ProblemField names one invalid field or parameter.
type ProblemField struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem types shared with the order API (ports/httpapi).
const (
	TypeValidation       = "urn:orders:problem:validation"
	TypeMalformedRequest = "urn:orders:problem:malformed-request"
	TypeInvalidParameter = "urn:orders:problem:invalid-parameter"
	TypeNotFound         = "urn:orders:problem:not-found"
	TypeUnsupportedMedia = "urn:orders:problem:unsupported-media-type"
	TypeMethodNotAllowed = "urn:orders:problem:method-not-allowed"
	TypeInternal         = "urn:orders:problem:internal"
)

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Internal logs err and answers 500 without details.
func Internal(w http.ResponseWriter, r *http.Request, err error) {
	slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	WriteProblem(w, r, Problem{Type: TypeInternal, Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "the request could not be completed; it is safe to retry"})
}

// WriteJSON writes body as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// maxBodyBytes bounds a request body of the operator APIs.
const maxBodyBytes = 16 << 10

// DecodeJSON reads exactly one JSON object into dst, refusing unknown
// fields and other media types. It answers the problem itself and
// returns false when the body is not acceptable.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		WriteProblem(w, r, Problem{Type: TypeUnsupportedMedia, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
			Detail: "the request body must be application/json"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	malformed := func(detail string) bool {
		WriteProblem(w, r, Problem{Type: TypeMalformedRequest, Title: "The request body is malformed", Status: http.StatusBadRequest, Detail: detail})
		return false
	}
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return malformed(fmt.Sprintf("%s must be a JSON %s", typeErr.Field, typeErr.Type.Kind()))
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return malformed("the body is empty or ends early")
		default:
			return malformed(strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return malformed("the body must hold a single JSON object")
	}
	return true
}

// Wrap runs an API's routes under the shared middleware: a panic becomes a
// 500 problem, the correlation ID is read or made, and the router's
// plain-text 404 and 405 answers become problems.
func Wrap(mux *http.ServeMux) http.Handler {
	return recoverer(correlation.HTTP(problemsForRouting(mux)))
}

func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // sentinel panic value, compared as net/http does
					panic(v)
				}
				Internal(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

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
		WriteProblem(w.ResponseWriter, w.r, Problem{Type: TypeNotFound, Title: "Not found", Status: status, Detail: "no resource at this path"})
	case plain && status == http.StatusMethodNotAllowed:
		w.replaced = true
		WriteProblem(w.ResponseWriter, w.r, Problem{Type: TypeMethodNotAllowed, Title: "Method not allowed", Status: status,
			Detail: w.r.Method + " is not allowed here; allowed: " + w.Header().Get("Allow")})
	default:
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *routingProblemWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
