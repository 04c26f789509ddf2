package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// CheckLayout is the start-up check of a process that writes to or
// forwards from the outbox: the configured shard count must be the
// recorded one (ErrLayoutMismatch otherwise), and no shard may be stalled
// for consumerGroup (a missing or impossible position; see Status).
func CheckLayout(ctx context.Context, db *sql.DB, cfg outbox.Config, consumerGroup string) error {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return err
	}
	shards, err := RecordedShards(ctx, db, cfg.Name)
	if err != nil {
		return err
	}
	if shards != cfg.Shards {
		return fmt.Errorf("%w: outbox %s is configured with %d shards (OUTBOX_SHARDS) but the database has %d; "+
			"set OUTBOX_SHARDS=%d or leave it unset (it defaults to the database's count), or change the database's count with `orders outbox reshard -shards %d` (see docs/forwarder.md)",
			ErrLayoutMismatch, cfg.Name, cfg.Shards, shards, shards, cfg.Shards)
	}
	var stalled []string
	for _, topic := range cfg.SQLTopics() {
		state, err := shard.ReadState(ctx, db, topic, consumerGroup)
		if err != nil {
			return fmt.Errorf("read position in %s: %w", topic, err)
		}
		if state.Stalled() {
			stalled = append(stalled, fmt.Sprintf("%s (%s)", topic, state.Problem()))
		}
	}
	if len(stalled) > 0 {
		return fmt.Errorf("%w: %s; see `orders outbox status`, then run `orders outbox repair` (docs/forwarder.md)",
			ErrStalled, strings.Join(stalled, ", "))
	}
	return nil
}

// ErrLayoutMismatch is returned when the shard count a process is configured
// with differs from the one recorded in the database.
var ErrLayoutMismatch = errors.New("outbox shard count differs from the database's")

// ErrStalled is returned when a shard's position is missing or impossible.
var ErrStalled = errors.New("outbox stalled")
