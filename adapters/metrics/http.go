package metrics

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTP records the requests of the process's APIs (the ports' HTTP
// metrics), by API and route: the route is the ServeMux pattern that
// matched, never the raw path, so that the label's values stay few.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight *prometheus.GaugeVec
}

// NewHTTP registers the HTTP metrics with reg; the APIs of one process
// share them (the api label tells them apart).
func NewHTTP(reg prometheus.Registerer) (*HTTP, error) {
	if reg == nil {
		return nil, errors.New("nil Prometheus registerer")
	}
	requests, err1 := registerOrShare(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "HTTP requests answered, by API, route (the matched pattern, \"unmatched\" for none) and status code.",
	}, []string{"api", "route", "code"}))
	duration, err2 := registerOrShare(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "Time from a request's arrival to its answer's end, by API and route.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"api", "route"}))
	inFlight, err3 := registerOrShare(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "http_requests_in_flight",
		Help: "HTTP requests being handled now, by API.",
	}, []string{"api"}))
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	return &HTTP{requests: requests, duration: duration, inFlight: inFlight}, nil
}

// RequestStarted counts a request in flight.
func (h *HTTP) RequestStarted(api string) { h.inFlight.WithLabelValues(api).Inc() }

// RequestDone records an answered request.
func (h *HTTP) RequestDone(api, route string, code int, took time.Duration) {
	h.inFlight.WithLabelValues(api).Dec()
	h.requests.WithLabelValues(api, route, strconv.Itoa(code)).Inc()
	h.duration.WithLabelValues(api, route).Observe(took.Seconds())
}
