package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// runsServices says whether cmd is a long-running service: it gets the
// ops listener (METRICS_ADDR) and the graceful shutdown (shutdown.go).
func runsServices(cmd string) bool {
	switch cmd {
	case "all", "api", "forwarder", "inventory", "payment", "saga":
		return true
	}
	return false
}

// serveOps serves a process's operations endpoints on addr (METRICS_ADDR)
// until stop: /metrics, /healthz (the process is alive: 204) and /readyz
// (ready for traffic: 200, or 503 with a problem naming what is not). The
// address is bound before it returns, so a second process on the same
// host with the default METRICS_ADDR fails at start-up with an error
// saying what to set (a fall-back port would be one Prometheus does not
// scrape).
func serveOps(ctx context.Context, addr string, registry *prometheus.Registry, ready *readiness) (stop func(), err error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("ops server: %s is in use, by another orders process on this host? "+
			"Give each process its own METRICS_ADDR (such as METRICS_ADDR=:9091), or METRICS_ADDR=off: %w", addr, err)
	}
	if err != nil {
		return nil, fmt.Errorf("ops server on %s (METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{Registry: registry}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	if ready != nil {
		mux.Handle("GET /readyz", ready)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }() // ends with Shutdown
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}, nil
}
