//go:build benchnooutbox

package main

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// This file is built only into the benchmark's binary (cmd/orders-bench
// builds with -tags benchnooutbox): the production binary has no switch
// that stores orders without publishing their events.

// benchConfig holds the benchmark's measurement switches.
type benchConfig struct {
	// OutboxDisabled (OUTBOX_DISABLED=true) makes the API write orders
	// without publishing their events, to measure what the outbox costs
	// (docs/benchmarks.md).
	OutboxDisabled bool
}

func loadBenchConfig(p *envParser) benchConfig {
	var b benchConfig
	if v := p.str("OUTBOX_DISABLED"); v != "" {
		var err error
		if b.OutboxDisabled, err = strconv.ParseBool(v); err != nil {
			p.fail("OUTBOX_DISABLED", "true or false", v)
		}
	}
	return b
}

// apiOutbox returns the outbox that replaces the API's, or nil for the
// real one.
func (b benchConfig) apiOutbox(logger *slog.Logger) postgres.Outbox {
	if !b.OutboxDisabled {
		return nil
	}
	logger.Warn("OUTBOX_DISABLED=true: order events are stored but never published (for measurements only)")
	return discardOutbox{}
}

// discardOutbox publishes nothing, so the write path is the event append
// and the read model alone; events written this way never reach Kafka.
type discardOutbox struct{}

func (discardOutbox) Announce(context.Context, *pgtx.UnitOfWork, ...string) error { return nil }

func (discardOutbox) Publish(context.Context, *pgtx.UnitOfWork, string, ...*message.Message) error {
	return nil
}
