package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/kafka"
)

// latencies reads the OrderPlaced records' append times and the
// reservations' times, and fills in the phases' distributions.
func latencies(ctx context.Context, e *environment, p *pipeline, db *sql.DB, phases []*phase) error {
	appended := map[string]time.Time{}
	readCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err := kafka.ReadTopic(readCtx, e.brokers, p.topic, false, func(r kafka.Record) error {
		if r.Headers["name"] == "OrderPlaced" {
			appended[r.Key] = r.Timestamp
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", p.topic, err)
	}
	for _, ph := range phases {
		ids := make([]string, len(ph.placements))
		for i, pl := range ph.placements {
			ids[i] = pl.ID
		}
		effect := map[string]time.Time{}
		if p.inventory != "" {
			if effect, err = timesOf(ctx, db, `SELECT order_id::text, created_at FROM inventory_reservations WHERE order_id = ANY($1::uuid[])`, ids); err != nil {
				return err
			}
		}
		txStart, err := timesOf(ctx, db, `SELECT stream_id::text, recorded_at FROM order_events WHERE version = 1 AND stream_id = ANY($1::uuid[])`, ids)
		if err != nil {
			return err
		}
		committed, err := commitTimes(ctx, db, ids)
		if err != nil {
			return err
		}
		var kafkaLow, kafkaHigh, kafkaCommit, effectLow, effectHigh, effectCommit, tx []time.Duration
		for _, pl := range ph.placements {
			at, onKafka := appended[pl.ID]
			eff, hasEffect := effect[pl.ID]
			start, hasStart := txStart[pl.ID]
			commit, hasCommit := committed[pl.ID]
			if !onKafka || (p.inventory != "" && !hasEffect) {
				ph.Missing++
			}
			if onKafka && hasStart {
				kafkaLow, kafkaHigh = append(kafkaLow, at.Sub(pl.Done)), append(kafkaHigh, at.Sub(start))
			}
			if hasEffect && hasStart {
				effectLow, effectHigh = append(effectLow, eff.Sub(pl.Done)), append(effectHigh, eff.Sub(start))
			}
			if hasCommit && hasStart {
				tx = append(tx, commit.Sub(start))
			}
			if hasCommit && onKafka {
				kafkaCommit = append(kafkaCommit, at.Sub(commit))
			}
			if hasCommit && hasEffect {
				effectCommit = append(effectCommit, eff.Sub(commit))
			}
		}
		ph.ToKafka = latencyBounds{Low: summarise(kafkaLow), High: summarise(kafkaHigh), Commit: summarise(kafkaCommit)}
		ph.ToEffect = latencyBounds{Low: summarise(effectLow), High: summarise(effectHigh), Commit: summarise(effectCommit)}
		ph.Transaction = summarise(tx)
		ph.kafkaPlot, ph.effectPlot = kafkaHigh, effectHigh
		if len(kafkaCommit) > 0 {
			ph.kafkaPlot, ph.effectPlot = kafkaCommit, effectCommit
		}
	}
	return nil
}

func timesOf(ctx context.Context, db *sql.DB, query string, ids []string) (_ map[string]time.Time, err error) {
	rows, err := db.QueryContext(ctx, query, pq.Array(ids))
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}()
	out := make(map[string]time.Time, len(ids))
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = at
	}
	return out, rows.Err()
}

// latencyBounds are the distributions of a latency measured from a moment
// just after the commit (Low), from one before it (High), and from the
// commit timestamp (Commit; empty when the server does not track it).
type latencyBounds struct {
	Low, High, Commit distribution
}

// p99 is the latency's p99 to judge a target by: from the commit
// timestamp when there is one, otherwise the high bound.
func (b latencyBounds) p99() (time.Duration, bool) {
	if b.Commit.N > 0 {
		return b.Commit.P99, true
	}
	return b.High.P99, false
}
