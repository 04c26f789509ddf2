package migrations

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/internal/outboxes"
)

// The outboxes of the inventory and the payment service: the same sharded
// layout as the order service's, each with its own name and forwarder.
func init() {
	Go = append(Go, goose.NewGoMigration(23, &goose.GoFunc{RunTx: upServiceOutboxes}, &goose.GoFunc{RunTx: downServiceOutboxes}))
}

func upServiceOutboxes(ctx context.Context, tx *sql.Tx) error {
	for _, cfg := range []outbox.Config{outboxes.Inventory, outboxes.Payment} {
		if err := outbox.CreateLayout(ctx, tx, cfg, outbox.DefaultConsumerGroup); err != nil {
			return err
		}
	}
	return nil
}

func downServiceOutboxes(ctx context.Context, tx *sql.Tx) error {
	for _, cfg := range []outbox.Config{outboxes.Payment, outboxes.Inventory} {
		if err := outbox.DropLayout(ctx, tx, cfg.Name); err != nil {
			return err
		}
	}
	return nil
}
