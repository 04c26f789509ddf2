package httpapi

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/orderflow/orders/ports/internal/httpio"
)

// Option configures the handler NewHandler returns.
type Option func(*server)

// WithCreateRateLimit limits order creation per client to perSecond
// orders on average, with bursts of up to burst; more is a 429 with
// Retry-After. perSecond <= 0 turns the limit off.
func WithCreateRateLimit(perSecond float64, burst int) Option {
	return func(s *server) {
		if perSecond > 0 {
			s.createLimit = newClientLimiter(rate.Limit(perSecond), max(burst, 1))
		}
	}
}

// maxTrackedClients bounds the limiter's memory: past it, clients whose
// bucket is full again (idle ones) are forgotten.
const maxTrackedClients = 10_000

// clientLimiter is a token bucket per client.
type clientLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

func newClientLimiter(limit rate.Limit, burst int) *clientLimiter {
	return &clientLimiter{limit: limit, burst: burst, clients: make(map[string]*rate.Limiter)}
}

// wait returns how long the client must wait before its next request is
// allowed; zero means now, and then the request is counted.
func (l *clientLimiter) wait(client string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.clients[client]
	if !ok {
		if len(l.clients) >= maxTrackedClients {
			l.forgetIdle(now)
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.clients[client] = lim
	}
	res := lim.ReserveN(now, 1)
	if delay := res.DelayFrom(now); delay > 0 {
		res.CancelAt(now)
		return delay
	}
	return 0
}

func (l *clientLimiter) forgetIdle(now time.Time) {
	for client, lim := range l.clients {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.clients, client)
		}
	}
}

// limited answers 429 to a customer over its limit, and serves the others.
// Operators are not limited: their tokens belong to trusted tools (the
// load generator, back-office jobs) that place orders for many customers.
func (l *clientLimiter) limited(next http.HandlerFunc) http.HandlerFunc {
	if l == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if principal(r).IsOperator() {
			next(w, r)
			return
		}
		delay := l.wait(clientKey(r), time.Now())
		if delay == 0 {
			next(w, r)
			return
		}
		seconds := int(math.Ceil(delay.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
		httpio.WriteProblem(w, r, httpio.Problem{
			Type: httpio.TypeRateLimited, Title: "Too many requests", Status: http.StatusTooManyRequests,
			Detail: "too many orders placed by this client; retry after Retry-After seconds",
		})
	}
}

// clientKey names the client a limit applies to: the customer its token
// names, or, without one, its IP address as the connection shows it
// (forwarding headers are not trusted: any client can write them).
func clientKey(r *http.Request) string {
	if p := principal(r); p.Subject != "" {
		return "customer:" + p.Subject
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return "ip:" + host
}
