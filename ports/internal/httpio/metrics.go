package httpio

import (
	"net/http"
	"time"
)

// Metrics records an API's requests. The ports declare it;
// adapters/metrics implements it (Prometheus).
type Metrics interface {
	// RequestStarted: a request of api arrived.
	RequestStarted(api string)
	// RequestDone: it was answered with code, took long; route is the
	// ServeMux pattern it matched, or "unmatched".
	RequestDone(api, route string, code int, took time.Duration)
}

// unmatched is the route of a request no pattern matched (404, 405, a
// redirect to the canonical path): one label value for all of them.
const unmatched = "unmatched"

// Instrument measures every request of handler, the API api serves with
// the routes of mux; nil metrics measure nothing. It runs outside every
// other middleware, so that their answers (401, a recovered panic's 500)
// count too. The route is asked of mux, not read from r.Pattern: the
// middleware in between hand the mux copies of the request.
func Instrument(api string, m Metrics, mux *http.ServeMux, handler http.Handler) http.Handler {
	if m == nil {
		return handler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.RequestStarted(api)
		route := unmatched
		if _, pattern := mux.Handler(r); pattern != "" {
			route = pattern
		}
		rec := &codeRecorder{ResponseWriter: w, code: http.StatusOK}
		defer func() { m.RequestDone(api, route, rec.code, time.Since(start)) }()
		handler.ServeHTTP(rec, r)
	})
}

// codeRecorder remembers the first status code written.
type codeRecorder struct {
	http.ResponseWriter
	code    int
	written bool
}

func (c *codeRecorder) WriteHeader(code int) {
	if !c.written {
		c.code, c.written = code, true
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *codeRecorder) Write(b []byte) (int, error) {
	c.written = true
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (c *codeRecorder) Unwrap() http.ResponseWriter { return c.ResponseWriter }
