package forwarder

import (
	"context"
	"database/sql"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// Reasons of outbox_shard_stalled.
const (
	stallMissing    = "position_missing" // the offsets row is gone
	stallAhead      = "ahead_of_xids"    // position or rows beyond the database's transaction IDs (a restore)
	stallNoProgress = "no_progress"      // a backlog, and the position did not move for StallAfter
)

var stallReasons = []string{stallMissing, stallAhead, stallNoProgress}

// stallWatcher looks at every shard of a forwarder from outside its leases, so
// that it sees also what no lease shows: a shard another forwarder holds
// without moving it (frozen, cut off, or stuck), one that nobody holds, one
// whose position a restore left ahead of the transaction IDs. Every
// instance watches, the standby too; each reports what it sees.
type stallWatcher struct {
	db     shard.QueryRower // the forwarder's prepared statements
	outbox string
	group  string
	topics []string
	after  time.Duration
	gauge  *prometheus.GaugeVec // nil without metrics
	// blockerAge is the age of the transaction that blocks a stalled shard
	// back (shard.Blocker), 0 otherwise; nil without metrics.
	blockerAge *prometheus.GaugeVec
	logger     watermill.LoggerAdapter

	shards map[string]*shardWatch
}

type shardWatch struct {
	position string
	since    time.Time // when the position last moved, or the backlog was last empty
	reason   string    // the stall reported, "" for none
	logged   time.Time
}

func (w *stallWatcher) run(ctx context.Context) {
	w.shards = map[string]*shardWatch{}
	now := time.Now()
	for _, topic := range w.topics {
		w.shards[topic] = &shardWatch{since: now}
	}
	ticker := time.NewTicker(min(max(w.after/5, 100*time.Millisecond), 2*time.Second))
	defer ticker.Stop()
	for {
		// At once first: the gauge is there from the forwarder's start, not
		// from its first tick up to 2 s later.
		for _, topic := range w.topics {
			w.check(ctx, topic)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (w *stallWatcher) check(ctx context.Context, topic string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	state, err := shard.ReadState(ctx, w.db, topic, w.group)
	if err != nil {
		return // the shard's own queries report database errors
	}
	p, now := w.shards[topic], time.Now()
	if state.Position != p.position || !state.Pending {
		p.position, p.since = state.Position, now
	}
	reason := ""
	switch {
	case state.Missing:
		reason = stallMissing
	case state.Impossible:
		reason = stallAhead
	case now.Sub(p.since) >= w.after:
		reason = stallNoProgress
	}
	var blocker watermill.LogFields
	if reason == stallNoProgress {
		blocker = w.blocker(ctx, topic)
	}
	if w.blockerAge != nil {
		age, _ := blocker["blocker_xact_age"].(time.Duration)
		w.blockerAge.WithLabelValues(w.outbox, topic).Set(age.Seconds())
	}
	if w.gauge != nil {
		for _, r := range stallReasons {
			v := 0.0
			if r == reason {
				v = 1
			}
			w.gauge.WithLabelValues(w.outbox, topic, r).Set(v)
		}
	}
	if reason == p.reason && (reason == "" || now.Sub(p.logged) < time.Minute) {
		return
	}
	fields := watermill.LogFields{"sql_topic": topic, "consumer_group": w.group, "position": state.Position}
	switch reason {
	case "":
		w.logger.Info("Outbox shard moves again", fields)
	case stallNoProgress:
		fields["stalled_for"] = now.Sub(p.since).Round(time.Millisecond)
		for k, v := range w.holder(ctx, topic) {
			fields[k] = v
		}
		for k, v := range blocker {
			fields[k] = v
		}
		warn(w.logger, "Outbox shard stalled: messages wait and its position has not moved; the holder named here has the shard's lock (none: no forwarder forwards it), the blocker blocks its oldest writer (none: no writer is open)", fields)
	default:
		w.logger.Error("Outbox shard stalled: "+state.Problem()+"; nothing is forwarded from it until `orders outbox repair` (docs/forwarder.md, Restore)", nil, fields)
	}
	p.reason, p.logged = reason, now
}

// blocker describes the session that blocks the shard's oldest open
// writer, and so the forwarder's barrier (shard.Blocker): the session the
// writer waits for (pg_blocking_pids), or the writer itself when it waits
// for none. Its PID is for pg_terminate_backend.
func (w *stallWatcher) blocker(ctx context.Context, topic string) watermill.LogFields {
	b, ok, err := shard.ReadBlocker(ctx, w.db, topic)
	if err != nil || !ok {
		return watermill.LogFields{"blocker_pid": "none"}
	}
	return watermill.LogFields{
		"blocker_pid": b.PID, "blocker_state": b.State, "blocker_query": b.Query,
		"blocker_xact_age": b.XactAge.Round(time.Millisecond), "blocked_writer_pid": b.WriterPID,
	}
}

// holder describes the session that holds the shard's lock: its PID (for
// pg_terminate_backend), state, when its transaction began and its state
// last changed, and where it connects from.
func (w *stallWatcher) holder(ctx context.Context, topic string) watermill.LogFields {
	classID, objID := shard.LockID(topic, w.group)
	var (
		pid                          int64
		state, app, client           sql.NullString
		xactStart, stateChange, asOf sql.NullTime
	)
	err := w.db.QueryRowContext(ctx, `
		SELECT l.pid, a.state, a.application_name, COALESCE(host(a.client_addr), 'local'), a.xact_start, a.state_change, now()
		FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
		LIMIT 1`, classID, objID).Scan(&pid, &state, &app, &client, &xactStart, &stateChange, &asOf)
	if err != nil {
		return watermill.LogFields{"holder_pid": "none"}
	}
	f := watermill.LogFields{"holder_pid": pid, "holder_state": state.String, "holder_application": app.String, "holder_client": client.String}
	if xactStart.Valid {
		f["holder_xact_age"] = asOf.Time.Sub(xactStart.Time).Round(time.Millisecond)
	}
	if stateChange.Valid {
		f["holder_state_age"] = asOf.Time.Sub(stateChange.Time).Round(time.Millisecond)
	}
	return f
}
