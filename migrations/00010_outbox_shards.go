package migrations

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pressly/goose/v3"

	"github.com/orderflow/orders/adapters/outbox"
)

// Go holds the migrations written in Go, registered beside the SQL files.
var Go = []*goose.Migration{
	goose.NewGoMigration(10, &goose.GoFunc{RunTx: upOutboxShards}, &goose.GoFunc{RunTx: downOutboxShards}),
}

// legacyOutbox is the single outbox table of migration 00002 and the
// consumer group its forwarder used.
const (
	legacyOutbox   = `"watermill_orders_outbox"`
	legacyOffsets  = `"watermill_offsets_orders_outbox"`
	legacyGroup    = "orders-forwarder"
	forwarderGroup = outbox.DefaultConsumerGroup
)

// upOutboxShards replaces the single outbox table with the sharded outbox
// "orders" (outbox.OrdersOutbox: 8 shards; `orders outbox reshard` changes
// the count). Messages the old forwarder had not forwarded move, in their
// order and with their transaction IDs, into the shard of their partition
// key; the old table is locked first, so none is written meanwhile.
func upOutboxShards(ctx context.Context, tx *sql.Tx) error {
	cfg := outbox.OrdersOutbox
	if _, err := tx.ExecContext(ctx, `LOCK TABLE `+legacyOutbox+` IN EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("lock %s: %w", legacyOutbox, err)
	}
	if _, err := tx.ExecContext(ctx, `ALTER TABLE `+legacyOutbox+` RENAME TO "watermill_orders_outbox_legacy"`); err != nil {
		return err
	}
	if err := outbox.CreateLayout(ctx, tx, cfg, forwarderGroup); err != nil {
		return err
	}
	if err := moveLegacyMessages(ctx, tx, cfg); err != nil {
		return err
	}
	for _, stmt := range []string{`DROP TABLE "watermill_orders_outbox_legacy"`, `DROP TABLE ` + legacyOffsets} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

func moveLegacyMessages(ctx context.Context, tx *sql.Tx, cfg outbox.Config) (err error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT m.uuid, m.created_at::text, m.payload::text, m.metadata::text, m.transaction_id::text
		FROM "watermill_orders_outbox_legacy" m
		LEFT JOIN `+legacyOffsets+` o ON o.consumer_group = $1
		WHERE o.consumer_group IS NULL
			OR (m.transaction_id, m."offset") > (o.last_processed_transaction_id, o.offset_acked)
		ORDER BY m.transaction_id, m."offset"`, legacyGroup)
	if err != nil {
		return fmt.Errorf("read the legacy outbox: %w", err)
	}
	defer func() { _ = rows.Close() }()
	type row struct {
		uuid, createdAt, payload, metadata, txID string
	}
	var pending []row
	for rows.Next() {
		var r row
		var payload, metadata sql.NullString
		if err := rows.Scan(&r.uuid, &r.createdAt, &payload, &metadata, &r.txID); err != nil {
			return err
		}
		r.payload, r.metadata = payload.String, metadata.String
		pending = append(pending, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil { //nolint:sqlclosecheck // closed before the inserts below, deferred too
		return err
	}
	for _, r := range pending {
		var env struct {
			UUID     string            `json:"uuid"`
			Metadata map[string]string `json:"metadata"`
		}
		key := r.uuid
		if json.Unmarshal([]byte(r.payload), &env) == nil {
			key = env.Metadata[outbox.MetadataPartitionKey]
			if key == "" {
				key = env.UUID
			}
		}
		table := outbox.MessagesTable(cfg.SQLTopic(outbox.ShardOf(key, cfg.Shards)))
		_, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (uuid, created_at, payload, metadata, transaction_id)
			VALUES ($1, $2::timestamp, convert_to($3, 'UTF8'), NULLIF($4, '')::json, $5::xid8)`,
			r.uuid, r.createdAt, r.payload, r.metadata, r.txID)
		if err != nil {
			return fmt.Errorf("move message %s into %s: %w", r.uuid, table, err)
		}
	}
	return nil
}

// downOutboxShards drops the sharded outbox and restores the empty single
// table of migration 00002.
func downOutboxShards(ctx context.Context, tx *sql.Tx) error {
	if err := outbox.DropLayout(ctx, tx, outbox.OrdersOutbox.Name); err != nil {
		return err
	}
	for _, stmt := range []string{
		`DROP TABLE outbox_dead_letters`,
		`DROP TABLE outbox_layouts`,
		`CREATE TABLE ` + legacyOutbox + ` (
			"offset" BIGSERIAL, uuid VARCHAR(36) NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
			payload JSON DEFAULT NULL, metadata JSON DEFAULT NULL, transaction_id XID8 NOT NULL,
			PRIMARY KEY (transaction_id, "offset"))`,
		`CREATE TABLE ` + legacyOffsets + ` (
			consumer_group VARCHAR(255) NOT NULL, offset_acked BIGINT,
			last_processed_transaction_id XID8 NOT NULL, PRIMARY KEY (consumer_group))`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}
