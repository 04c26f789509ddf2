package httpio

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/orderflow/orders/platform/correlation"
)

// Wrap runs an API's routes under the shared middleware: the request is
// traced (see traced and NameSpanByRoute), the security headers are set, a
// panic becomes a 500 problem, the correlation ID is read or made, each
// request is logged at debug level, and the router's plain-text 404 and
// 405 answers become problems.
func Wrap(mux http.Handler) http.Handler {
	return traced(securityHeaders(recoverer(correlation.HTTP(logRequests(problemsForRouting(mux))))))
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
				WriteError(w, r, errors.New("panic while handling request"))
			}
		}()
		next.ServeHTTP(w, r)
	})
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
			"status", rec.status, "duration", time.Since(start)) // the correlation ID comes from the context
	})
}

// problemsForRouting turns the router's plain-text 404 and 405 answers
// into problems, so every error of an API has one shape.
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
		return len(b), nil // the router's plain-text body, replaced by the problem
	}
	return w.ResponseWriter.Write(b)
}
