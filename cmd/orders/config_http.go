package main

import (
	"fmt"
	"net/http"
	"time"
)

// HTTPLimits bounds what one client can make the HTTP servers do.
type HTTPLimits struct {
	// The servers' timeouts (net/http.Server): reading a request's
	// headers (HTTP_READ_HEADER_TIMEOUT, which stops slow-header
	// clients), the whole request (HTTP_READ_TIMEOUT), writing the answer
	// (HTTP_WRITE_TIMEOUT) and a kept-alive idle connection
	// (HTTP_IDLE_TIMEOUT).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// OrderCreateRate (ORDER_CREATE_RATE, orders per second) and
	// OrderCreateBurst (ORDER_CREATE_BURST) limit POST /orders per
	// customer (operators are not limited): over it, 429 with Retry-After.
	OrderCreateRate  float64
	OrderCreateBurst int
}

func loadHTTPLimits(p *envParser) HTTPLimits {
	return HTTPLimits{
		ReadHeaderTimeout: p.duration("HTTP_READ_HEADER_TIMEOUT"),
		ReadTimeout:       p.duration("HTTP_READ_TIMEOUT"),
		WriteTimeout:      p.duration("HTTP_WRITE_TIMEOUT"),
		IdleTimeout:       p.duration("HTTP_IDLE_TIMEOUT"),
		OrderCreateRate:   p.float("ORDER_CREATE_RATE"),
		OrderCreateBurst:  p.int("ORDER_CREATE_BURST"),
	}
}

func (l *HTTPLimits) setDefaults() {
	l.ReadHeaderTimeout = or(l.ReadHeaderTimeout, 5*time.Second)
	l.ReadTimeout = or(l.ReadTimeout, 15*time.Second)
	l.WriteTimeout = or(l.WriteTimeout, 15*time.Second)
	l.IdleTimeout = or(l.IdleTimeout, 60*time.Second)
	l.OrderCreateRate = or(l.OrderCreateRate, 10)
	l.OrderCreateBurst = or(l.OrderCreateBurst, 20)
}

func (l HTTPLimits) validate() []error {
	var errs []error
	for _, t := range []struct {
		name string
		d    time.Duration
	}{
		{"HTTP_READ_HEADER_TIMEOUT", l.ReadHeaderTimeout}, {"HTTP_READ_TIMEOUT", l.ReadTimeout},
		{"HTTP_WRITE_TIMEOUT", l.WriteTimeout}, {"HTTP_IDLE_TIMEOUT", l.IdleTimeout},
	} {
		if t.d <= 0 {
			errs = append(errs, fmt.Errorf("%s: want a positive duration such as 15s, got %v", t.name, t.d))
		}
	}
	if l.OrderCreateRate <= 0 {
		errs = append(errs, fmt.Errorf("ORDER_CREATE_RATE: want a positive number of orders per second, got %v", l.OrderCreateRate))
	}
	if l.OrderCreateBurst < 1 {
		errs = append(errs, fmt.Errorf("ORDER_CREATE_BURST: want a positive integer, got %v", l.OrderCreateBurst))
	}
	return errs
}

// newHTTPServer is every HTTP server of the process, under the limits.
func newHTTPServer(addr string, handler http.Handler, l HTTPLimits) *http.Server {
	return &http.Server{
		Addr: addr, Handler: handler,
		ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout,
	}
}
