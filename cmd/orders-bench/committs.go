package main

import (
	"context"
	"database/sql"
	"time"

	"github.com/lib/pq"
)

// commitTimes reads when each order's placing transaction committed: the
// commit timestamp of its OrderPlaced row (order_events rows are never
// updated, so xmin is the placing transaction). It returns an empty map
// when the server does not track commit timestamps; the latencies then
// fall back to their bounds.
func commitTimes(ctx context.Context, db *sql.DB, ids []string) (map[string]time.Time, error) {
	var tracked bool
	if err := db.QueryRowContext(ctx, `SELECT current_setting('track_commit_timestamp')::bool`).Scan(&tracked); err != nil {
		return nil, err
	}
	if !tracked {
		return map[string]time.Time{}, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT stream_id::text, pg_xact_commit_timestamp(xmin) FROM order_events
		WHERE version = 1 AND stream_id = ANY($1::uuid[])`, pq.Array(ids))
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	out := make(map[string]time.Time, len(ids))
	for rows.Next() {
		var id string
		var at sql.NullTime // NULL for a transaction committed before tracking was on
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		if at.Valid {
			out[id] = at.Time
		}
	}
	return out, rows.Err()
}
