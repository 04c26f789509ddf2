package main

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// discardOutbox is the outbox of an API run with OUTBOX_DISABLED=true: it
// publishes nothing, so the write path is the event append and the read
// model alone. The benchmark (docs/benchmarks.md) compares the service with
// and without it to measure what the outbox costs; nothing else may use it,
// since events written this way never reach Kafka.
type discardOutbox struct{}

func (discardOutbox) Publish(context.Context, *pgtx.UnitOfWork, string, ...*message.Message) error {
	return nil
}
