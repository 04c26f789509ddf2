package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/outbox"
)

// drainWindow is how many rows the first and the last rate of a large
// drain cover.
const drainWindow = 100_000

// largeDrain drains a backlog of n rows (at least two windows) and prints
// the rate over its first and its last drainWindow rows. The forwarder's
// cost per batch must not grow with the backlog behind its position: a
// barrier look-up that walked it made a drain's cost its square, and the
// last window's rate fall far below the first's.
func largeDrain(ctx context.Context, n int) error {
	if n < 2*drainWindow {
		return fmt.Errorf("-large-backlog %d: want at least %d, two windows of %d", n, 2*drainWindow, drainWindow)
	}
	res, err := drainFilled(ctx, false, n, func(e env) error { return cloneBacklog(ctx, e, n) })
	if err != nil {
		return err
	}
	fmt.Printf("backlog %7d  ours  %8.0f/s  first %d: %8.0f/s  last %d: %8.0f/s  last/first %.2f\n",
		n, res.rate, drainWindow, res.firstWindow, drainWindow, res.lastWindow, res.lastWindow/res.firstWindow)
	fmt.Printf("  %s\n", res)
	return nil
}

// cloneBacklog writes n rows into e's outbox at the cost of a few
// statements: one message goes through the publisher, and each shard gets
// its share of copies of it, each with an order ID of its own (a random
// UUID, as long as the template's, so that the frame's lengths hold), in
// the envelope and in the row's metadata. Different orders matter: the
// forwarder sends one event of an order at a time.
func cloneBacklog(ctx context.Context, e env, n int) error {
	if err := fillBacklog(ctx, e, false, 1); err != nil {
		return err
	}
	topics := outboxConfig().SQLTopics()
	var (
		template       string // the SQL topic holding the published message
		payload        []byte
		metadata, txID string
	)
	for _, topic := range topics {
		err := e.db.QueryRowContext(ctx, `SELECT payload, metadata::text, transaction_id::text FROM "watermill_`+topic+`"`).Scan(&payload, &metadata, &txID)
		if err == nil {
			template = topic
			break
		}
	}
	if template == "" {
		return fmt.Errorf("the template message is in no shard of %v", topics)
	}
	var envelope outbox.Envelope
	if err := (outbox.Marshaler{}).Unmarshal(payload, &envelope); err != nil {
		return fmt.Errorf("read the template message: %w", err)
	}
	key := envelope.Metadata[outbox.MetadataPartitionKey]
	if key == "" {
		return fmt.Errorf("the template message's envelope names no order")
	}
	// The envelope split at each occurrence of the order ID; each copy is
	// its parts joined by its own. (The lateral's reference to i makes
	// PostgreSQL draw an ID per row, not one for all.)
	parts := bytes.Split(payload, []byte(key))
	for i, topic := range topics {
		share := n / len(topics)
		if i < n%len(topics) {
			share++
		}
		if _, err := e.db.ExecContext(ctx, `INSERT INTO "watermill_`+topic+`" (uuid, payload, metadata, transaction_id)
			SELECT gen_random_uuid()::text,
				(SELECT string_agg(p.part, convert_to(k.id, 'UTF8') ORDER BY p.ord) FROM unnest($1::bytea[]) WITH ORDINALITY AS p (part, ord)),
				replace($2, $3, k.id)::json, $4::xid8
			FROM generate_series(1, $5) AS i, LATERAL (SELECT gen_random_uuid()::text || left(i::text, 0) AS id) AS k`,
			pq.ByteaArray(parts), metadata, key, txID, share); err != nil {
			return fmt.Errorf("clone the backlog into %s: %w", topic, err)
		}
	}
	if _, err := e.db.ExecContext(ctx, `DELETE FROM "watermill_`+template+`" WHERE "offset" = (SELECT min("offset") FROM "watermill_`+template+`")`); err != nil {
		return err
	}
	_, err := e.db.ExecContext(ctx, "VACUUM ANALYZE")
	return err
}
