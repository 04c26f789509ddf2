package shard_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
	"github.com/orderflow/orders/internal/testenv"
)

// TestTheBarriersLookupCostsTheSameAtAnyBacklog runs the barrier statement
// the forwarder runs each cycle under EXPLAIN (ANALYZE, BUFFERS) while the
// shard holds a backlog of old rows (below every open transaction, as
// while a forwarder drains what piled up during an outage), small and then a
// hundred times larger. Its look-up for a row at or above xmin must jump
// to where such rows would start, not walk the backlog from the position
// and filter each row out: that walk, once per batch, made a drain
// quadratic.
func TestTheBarriersLookupCostsTheSameAtAnyBacklog(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := context.Background()
	topic := outbox.Config{Name: outbox.Orders.Name, Shards: 1}.SQLTopic(0)
	const group = "plan"
	if _, err := db.ExecContext(ctx, `INSERT INTO `+shard.OffsetsTable(topic)+
		` (consumer_group, offset_acked, last_processed_transaction_id) VALUES ($1, 0, '0')`, group); err != nil {
		t.Fatal(err)
	}

	small := backlogPlan(ctx, t, db, topic, group, 1_000)
	large := backlogPlan(ctx, t, db, topic, group, 100_000)
	t.Logf("backlog 1,000: %d buffers, %d rows filtered out; backlog 100,000: %d buffers, %d rows filtered out",
		small.buffers, small.filtered, large.buffers, large.filtered)
	if large.filtered > small.filtered {
		t.Errorf("the look-up filtered out %d rows at a backlog of 100,000 and %d at 1,000: it walks the backlog", large.filtered, small.filtered)
	}
	// A deeper index (one level more at most) may cost a few buffers more;
	// a walk of the backlog costs hundreds.
	if large.buffers > small.buffers+8 {
		t.Errorf("the look-up touched %d buffers at a backlog of 100,000 and %d at 1,000: it grows with the backlog", large.buffers, small.buffers)
	}
}

type planCost struct{ buffers, filtered int64 }

// backlogPlan makes the shard's backlog n rows of an old transaction ID
// (below any open transaction's) after the group's position, and
// returns what the barrier statement costs on it.
func backlogPlan(ctx context.Context, t *testing.T, db *sql.DB, topic, group string, n int) planCost {
	t.Helper()
	// Below the oldest open transaction, whatever the server's age: on a
	// new cluster the IDs are small, and fixed ones could be above it.
	if _, err := db.ExecContext(ctx, `INSERT INTO `+shard.MessagesTable(topic)+` (uuid, payload, metadata, transaction_id)
		SELECT gen_random_uuid()::text, '\x00'::bytea, '{}', (pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1)::text::xid8
		FROM generate_series((SELECT count(*) FROM `+shard.MessagesTable(topic)+`) + 1, $1) AS i`, n); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE `+shard.MessagesTable(topic)); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	// As in the forwarder's transaction (forwarder/lock.go).
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	if err := tx.QueryRowContext(ctx, `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT `+shard.BarrierQuery(topic, group)).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal(raw, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("EXPLAIN: %v: %s", err, raw)
	}
	return planCost{buffers: plans[0].Plan.SharedHit + plans[0].Plan.SharedRead, filtered: plans[0].Plan.filtered()}
}

// planNode is what the test reads of EXPLAIN's JSON: a node's buffers
// count its children's too, its rows filtered out do not.
type planNode struct {
	SharedHit  int64      `json:"Shared Hit Blocks"`
	SharedRead int64      `json:"Shared Read Blocks"`
	Filtered   int64      `json:"Rows Removed by Filter"`
	Loops      int64      `json:"Actual Loops"`
	Plans      []planNode `json:"Plans"`
}

func (p planNode) filtered() int64 {
	n := p.Filtered * max(p.Loops, 1)
	for _, c := range p.Plans {
		n += c.filtered()
	}
	return n
}
