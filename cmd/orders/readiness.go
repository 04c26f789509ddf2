package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orderflow/orders/adapters/kafka"
)

// readinessCacheFor is how long a readiness verdict is reused: probes
// from several load balancers cost one round of checks a second or two.
const readinessCacheFor = 1500 * time.Millisecond

// readinessTimeout bounds each check.
const readinessTimeout = 2 * time.Second

// readinessCheck is one dependency a process needs to do its work.
type readinessCheck struct {
	name  string
	check func(ctx context.Context) error
}

// readiness answers /readyz: ready while every check passes and the
// process is not shutting down.
type readiness struct {
	checks   []readinessCheck
	draining atomic.Bool

	mu        sync.Mutex
	checkedAt time.Time
	failed    map[string]string // by check; empty: all passed
}

// newReadiness checks cmd's databases (reachable, migrations applied:
// checkMigrated, as at start-up) and, for the commands that use Kafka,
// the brokers. `api` does not check Kafka: it writes to its outbox, which
// takes orders while Kafka is down.
func newReadiness(r *resources, cmd string) *readiness {
	rd := &readiness{}
	seen := map[*sql.DB]bool{} // services on one URL share a pool: checked once
	for _, service := range servicesOf(cmd) {
		db := r.pools[service]
		if db == nil || seen[db] {
			continue
		}
		seen[db] = true
		rd.checks = append(rd.checks, readinessCheck{name: "database " + service, check: func(ctx context.Context) error {
			return checkMigrated(ctx, db)
		}})
	}
	if cmd != "api" {
		topic := r.cfg.Topics.Orders
		if cmd == "saga" {
			topic = r.cfg.Topics.Inventory
		}
		brokers := r.cfg.Kafka.Brokers
		rd.checks = append(rd.checks, readinessCheck{name: "kafka", check: func(context.Context) error {
			return kafka.Ping(brokers, topic, readinessTimeout)
		}})
	}
	return rd
}

// drain makes the process unready for good: it is shutting down.
func (rd *readiness) drain() { rd.draining.Store(true) }

// failures runs the checks, or reuses a verdict younger than
// readinessCacheFor, and returns what failed, by check.
func (rd *readiness) failures(ctx context.Context) map[string]string {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if time.Since(rd.checkedAt) < readinessCacheFor {
		return rd.failed
	}
	failed := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range rd.checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, readinessTimeout)
			defer cancel()
			if err := c.check(cctx); err != nil {
				mu.Lock()
				failed[c.name] = err.Error()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	rd.failed, rd.checkedAt = failed, time.Now()
	return failed
}

// ServeHTTP answers 200 when ready, else 503 with an RFC 9457 problem
// whose detail and "checks" member name what failed.
func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	failed := map[string]string{}
	if rd.draining.Load() {
		failed["shutdown"] = "the process is shutting down"
	} else {
		for name, why := range rd.failures(r.Context()) {
			failed[name] = why
		}
	}
	if len(failed) == 0 {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
		return
	}
	names := make([]string, 0, len(failed))
	for name := range failed {
		names = append(names, name)
	}
	sort.Strings(names)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type":   "urn:orders:problem:not-ready",
		"title":  "Not ready",
		"status": http.StatusServiceUnavailable,
		"detail": "not ready: " + strings.Join(names, ", "),
		"checks": failed,
	})
}
