// Package admin holds the operations on an outbox: creating its layout,
// the start-up check, status, repair of stalled shards, changing the shard
// count, retention of forwarded rows, dead letters and the backlog metrics.
package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// schemaDDL creates the tables all outboxes share: the recorded layouts and
// the dead letters with their per-order holds.
var schemaDDL = []string{
	`CREATE TABLE IF NOT EXISTS outbox_layouts (
		name       TEXT        PRIMARY KEY,
		shards     INTEGER     NOT NULL CHECK (shards BETWEEN 1 AND 256),
		changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`,
	`CREATE TABLE IF NOT EXISTS outbox_dead_letters (
		id               BIGSERIAL   PRIMARY KEY,
		outbox           TEXT        NOT NULL,
		sql_topic        TEXT        NOT NULL,
		"offset"         BIGINT      NOT NULL,
		transaction_id   XID8        NOT NULL,
		uuid             TEXT        NOT NULL,
		payload          BYTEA,
		metadata         JSON,
		reason           TEXT        NOT NULL,
		created_at       TIMESTAMPTZ,
		dead_lettered_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`,
	// Per-order holds: the same statements as migrations/00031.
	`ALTER TABLE outbox_dead_letters
		ADD COLUMN IF NOT EXISTS partition_key TEXT,
		ADD COLUMN IF NOT EXISTS status TEXT NOT NULL DEFAULT 'dead'
			CONSTRAINT outbox_dead_letters_status_check CHECK (status IN ('dead', 'held', 'replayed', 'skipped')),
		ADD COLUMN IF NOT EXISTS held_behind BIGINT,
		ADD COLUMN IF NOT EXISTS resolved_at TIMESTAMPTZ`,
	`CREATE INDEX IF NOT EXISTS outbox_dead_letters_open
		ON outbox_dead_letters (outbox, sql_topic, partition_key) WHERE status IN ('dead', 'held')`,
	`CREATE INDEX IF NOT EXISTS outbox_dead_letters_order
		ON outbox_dead_letters (outbox, partition_key, id)`,
}

// execer runs statements: a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func execAll(ctx context.Context, tx execer, stmts ...string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", firstLine(s), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// CreateLayout creates an outbox on tx: the shared tables if needed, each
// shard's messages and offsets tables, the consumer group's position at
// the start of each shard, the view over all shards, and the recorded
// shard count. Migrations do not call it (they hold their own SQL, and
// layout_test.go checks they create the same); tests do, and ChangeShards
// creates its new shards the same way.
func CreateLayout(ctx context.Context, tx *sql.Tx, cfg outbox.Config, consumerGroup string) error {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return err
	}
	if err := execAll(ctx, tx, schemaDDL...); err != nil {
		return err
	}
	if err := createShards(ctx, tx, cfg, []string{consumerGroup}); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_layouts (name, shards) VALUES ($1, $2)`, cfg.Name, cfg.Shards); err != nil {
		return fmt.Errorf("record layout of outbox %s: %w", cfg.Name, err)
	}
	return nil
}

func createShards(ctx context.Context, tx *sql.Tx, cfg outbox.Config, consumerGroups []string) error {
	for _, topic := range cfg.SQLTopics() {
		if err := execAll(ctx, tx, shard.DDL(topic)...); err != nil {
			return err
		}
		for _, group := range consumerGroups {
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+shard.OffsetsTable(topic)+
				` (consumer_group, offset_acked, last_processed_transaction_id) VALUES ($1, 0, '0')`, group); err != nil {
				return fmt.Errorf("position of %s in %s: %w", group, topic, err)
			}
		}
	}
	selects := make([]string, cfg.Shards)
	for i, topic := range cfg.SQLTopics() {
		selects[i] = fmt.Sprintf(`SELECT %d AS shard, "offset", uuid, created_at, encode(payload, 'escape') AS payload, metadata, transaction_id FROM %s`,
			i, shard.MessagesTable(topic))
	}
	view := pq.QuoteIdentifier(cfg.ViewName())
	return execAll(ctx, tx,
		`DROP VIEW IF EXISTS `+view,
		`CREATE VIEW `+view+` AS `+strings.Join(selects, " UNION ALL "),
		`COMMENT ON VIEW `+view+` IS 'All shards of the outbox, for inspection (payload as text)'`)
}

func dropShards(ctx context.Context, tx *sql.Tx, cfg outbox.Config) error {
	stmts := []string{`DROP VIEW IF EXISTS ` + pq.QuoteIdentifier(cfg.ViewName())}
	for _, topic := range cfg.SQLTopics() {
		stmts = append(stmts, `DROP TABLE IF EXISTS `+shard.MessagesTable(topic), `DROP TABLE IF EXISTS `+shard.OffsetsTable(topic))
	}
	return execAll(ctx, tx, stmts...)
}

// RecordedShards returns the shard count recorded for the outbox name:
// the count its writers and forwards must use (CheckLayout).
func RecordedShards(ctx context.Context, q shard.QueryRower, name string) (int, error) {
	var shards int
	err := q.QueryRowContext(ctx, `SELECT shards FROM outbox_layouts WHERE name = $1`, name).Scan(&shards)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("outbox %s does not exist: run `orders migrate`", name)
	}
	if err != nil {
		return 0, fmt.Errorf("read layout of outbox %s: %w", name, err)
	}
	return shards, nil
}
