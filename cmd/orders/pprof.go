package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// servePprof serves Go's profiler on addr (PPROF_ADDR) until ctx ends, so
// that an operator can see where a running process spends its time:
//
//	go tool pprof http://localhost:6060/debug/pprof/profile?seconds=30
//
// It is a diagnostic: a failure is logged, never fatal.
func servePprof(ctx context.Context, addr string, logger *slog.Logger) {
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		if err := serveHTTP(ctx, "profiler", profilerServer(addr, mux), 5*time.Second); err != nil {
			logger.WarnContext(ctx, "profiler stopped", "addr", addr, "err", err)
		}
	}()
}

// profilerServer has no read or write timeout: a profile streams for as
// long as it was asked to (?seconds=30).
func profilerServer(addr string, handler http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second}
}
