package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestShutdownPastTheGracePeriodExitsNamingWhatDidNotFinish: a part that
// ignores the end of its context keeps the process past
// SHUTDOWN_GRACE_PERIOD; the process exits 1 naming it.
func TestShutdownPastTheGracePeriodExitsNamingWhatDidNotFinish(t *testing.T) {
	var code int
	exit = func(c int) { code = c }
	t.Cleanup(func() { exit = func(c int) { panic(c) } })
	r := &resources{logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r.cfg.Shutdown = ShutdownConfig{GracePeriod: 200 * time.Millisecond, ReadyDelay: ptr(time.Duration(0))}
	signalled, signal := context.WithCancel(context.Background())
	stuck := make(chan struct{})
	defer close(stuck)
	ready := &readiness{}
	go signal()
	err := runGracefully(signalled, r, ready, func(ctx context.Context) error {
		return r.components.track("the stuck consumer", func() error { <-stuck; return nil })()
	})
	if code != 1 || err == nil || !strings.Contains(err.Error(), "the stuck consumer") {
		t.Fatalf("exit %d, err %v; want exit 1 naming the stuck consumer", code, err)
	}
	if !ready.draining.Load() {
		t.Error("readiness did not turn false")
	}
}

// TestShutdownWithinTheGracePeriodReturnsTheServicesError: a service that
// ends when asked ends the process normally.
func TestShutdownWithinTheGracePeriodReturnsTheServicesError(t *testing.T) {
	r := &resources{logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r.cfg.Shutdown = ShutdownConfig{GracePeriod: 5 * time.Second, ReadyDelay: ptr(50 * time.Millisecond)}
	signalled, signal := context.WithCancel(context.Background())
	ready := &readiness{}
	signal()
	err := runGracefully(signalled, r, ready, func(ctx context.Context) error {
		<-ctx.Done()
		if !ready.draining.Load() {
			t.Error("the service was stopped before readiness turned false")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
