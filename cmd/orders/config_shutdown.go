package main

import (
	"fmt"
	"time"
)

// ShutdownConfig is what a process does on SIGTERM (shutdown.go): it
// turns unready, waits ReadyDelay for the load balancers and Kafka
// clients to notice, stops accepting, and gives what is in flight up to
// GracePeriod to finish.
type ShutdownConfig struct {
	// GracePeriod (SHUTDOWN_GRACE_PERIOD) bounds the whole shutdown after
	// the signal; past it the process exits 1 naming what did not finish.
	GracePeriod time.Duration
	// ReadyDelay (SHUTDOWN_READY_DELAY) is how long /readyz answers 503
	// before the process stops accepting; 0: at once.
	ReadyDelay *time.Duration
}

const (
	defaultGracePeriod = 30 * time.Second
	defaultReadyDelay  = 2 * time.Second
)

func loadShutdownConfig(p *envParser) ShutdownConfig {
	c := ShutdownConfig{GracePeriod: p.duration("SHUTDOWN_GRACE_PERIOD")}
	if p.set("SHUTDOWN_READY_DELAY") {
		c.ReadyDelay = ptr(p.duration("SHUTDOWN_READY_DELAY"))
	}
	return c
}

func (c *ShutdownConfig) setDefaults() {
	c.GracePeriod = or(c.GracePeriod, defaultGracePeriod)
	if c.ReadyDelay == nil {
		c.ReadyDelay = ptr(defaultReadyDelay)
	}
}

func (c ShutdownConfig) validate() []error {
	var errs []error
	if c.GracePeriod <= 0 {
		errs = append(errs, fmt.Errorf("SHUTDOWN_GRACE_PERIOD: want a positive duration such as 30s, got %v", c.GracePeriod))
	}
	if c.ReadyDelay == nil || *c.ReadyDelay < 0 {
		errs = append(errs, fmt.Errorf("SHUTDOWN_READY_DELAY: want a duration such as 2s, or 0, got %v", deref(c.ReadyDelay)))
	}
	return errs
}
