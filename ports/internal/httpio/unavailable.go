package httpio

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"github.com/orderflow/orders/platform/correlation"
)

// RetryAfterSeconds is the Retry-After of a 503: long enough for a pool to
// reconnect, short enough for a PostgreSQL restart to pass in a few tries.
const RetryAfterSeconds = 2

// TypeUnavailable is the problem of a request the service could not serve
// because the database was briefly out of reach: safe to retry after
// Retry-After.
const TypeUnavailable = "urn:orders:problem:unavailable"

// Unavailable reports whether err says the database could not be reached
// or refused work for now, rather than that the request or the service is
// wrong: a broken or refused connection, a server shutting down or
// starting up, or one out of connections; or a lock that another session
// held beyond the pool's lock_timeout (DATABASE_LOCK_TIMEOUT). PostgreSQL errors are read
// through their SQLSTATE, so no driver is imported here.
func Unavailable(err error) bool {
	var netErr net.Error
	switch {
	case err == nil:
		return false
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.As(err, &netErr):
		return true
	}
	var state interface{ SQLState() string }
	if !errors.As(err, &state) {
		return false
	}
	code := state.SQLState()
	switch {
	case strings.HasPrefix(code, "08"): // connection exception
		return true
	case code == "57P01", code == "57P02", code == "57P03": // admin or crash shutdown, cannot connect now
		return true
	case code == "53300": // too many connections
		return true
	case code == "55P03": // lock not available: a row another session holds
		return true
	}
	return false
}

// writeUnavailable answers 503 with Retry-After.
func writeUnavailable(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	WriteProblem(w, r, Problem{
		Type: TypeUnavailable, Title: "Service unavailable", Status: http.StatusServiceUnavailable,
		Detail: "the database is briefly out of reach; retry after Retry-After seconds", Instance: occurrence(r),
	})
}

// occurrence names one request by its correlation ID (X-Correlation-ID),
// which the logs carry too: what an operator needs, and nothing else.
func occurrence(r *http.Request) string {
	return "urn:orders:request:" + url.PathEscape(correlation.ID(r.Context()))
}
