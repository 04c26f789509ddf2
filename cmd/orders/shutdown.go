package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// components are the named pieces of a running process (an HTTP server, a
// consumer, a forwarder): what a shutdown past its grace period names.
type components struct {
	mu      sync.Mutex
	running map[string]int
}

// track returns fn counted as running under name while it runs.
func (c *components) track(name string, fn func() error) func() error {
	return func() error {
		c.mu.Lock()
		if c.running == nil {
			c.running = map[string]int{}
		}
		c.running[name]++
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			if c.running[name]--; c.running[name] == 0 {
				delete(c.running, name)
			}
			c.mu.Unlock()
		}()
		return fn()
	}
}

// names are the components still running, sorted.
func (c *components) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for name := range c.running {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// exit ends the process when a shutdown overran its grace period; tests
// replace it.
var exit = os.Exit

// runGracefully runs a service until it fails or signalled ends (SIGTERM,
// SIGINT). Then, in order: /readyz answers 503 (ready.drain), for
// SHUTDOWN_READY_DELAY, so that load balancers stop sending; then the
// service's context ends: HTTP servers stop accepting and finish their
// requests, routers finish their messages, forwarders their batch. If all that
// takes longer than SHUTDOWN_GRACE_PERIOD from the signal, the process
// exits 1 at once, naming the components still running.
func runGracefully(signalled context.Context, r *resources, ready *readiness, service func(ctx context.Context) error) error {
	cfg := r.cfg.Shutdown
	ctx, cancel := context.WithCancel(context.WithoutCancel(signalled))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- service(ctx) }()
	select {
	case err := <-done:
		return err
	case <-signalled.Done():
	}
	start := time.Now()
	r.logger.Info("shutting down", "ready_delay", *cfg.ReadyDelay, "grace_period", cfg.GracePeriod)
	if ready != nil {
		ready.drain()
	}
	grace := time.NewTimer(cfg.GracePeriod)
	defer grace.Stop()
	select {
	case err := <-done:
		return err
	case <-time.After(*cfg.ReadyDelay):
	}
	cancel()
	select {
	case err := <-done:
		r.logger.Info("shut down", "took", time.Since(start).Round(time.Millisecond))
		return err
	case <-grace.C:
		unfinished := strings.Join(r.components.names(), ", ")
		r.logger.Error(fmt.Sprintf("shutdown overran SHUTDOWN_GRACE_PERIOD=%v; exiting with work unfinished", cfg.GracePeriod),
			"unfinished", unfinished)
		exit(1)
		return fmt.Errorf("shutdown overran SHUTDOWN_GRACE_PERIOD: %s did not finish", unfinished)
	}
}
