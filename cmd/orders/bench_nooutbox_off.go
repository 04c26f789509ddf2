//go:build !benchnooutbox

package main

import (
	"log/slog"

	"github.com/orderflow/orders/adapters/postgres"
)

// benchConfig is empty in the production binary: the benchmark's
// measurement switches (bench_nooutbox.go) exist only in its own build.
type benchConfig struct{}

func loadBenchConfig(*envParser) benchConfig { return benchConfig{} }

// apiOutbox is nil: the API always publishes through the real outbox.
func (benchConfig) apiOutbox(*slog.Logger) postgres.Outbox { return nil }
