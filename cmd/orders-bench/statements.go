package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
)

// statementsResult is what PostgreSQL spent on the bench database during
// the burst, statement by statement (pg_stat_statements, the difference
// of two snapshots), and its transactions and tuples read
// (pg_stat_database).
type statementsResult struct {
	Missing   string // why pg_stat_statements gave no figures; empty when it did
	Calls     int64  // every statement of the database
	TotalTime time.Duration
	Top       []statementFigures // by total execution time
	// Per confirmed order, from pg_stat_database.
	CommitsPerOrder, TuplesReturnedPerOrder, TuplesFetchedPerOrder float64
	// The whole server's write-ahead log per confirmed order (pg_stat_wal;
	// the bench database is the only one busy), and the checkpoints that
	// began meanwhile (pg_stat_bgwriter): after each, a page's first change
	// writes the whole page to the log.
	WALBytesPerOrder, WALFullPagesPerOrder float64
	Checkpoints                            int64
}

type statementFigures struct {
	Query       string
	Calls       int64
	Total, Mean time.Duration
	Rows        int64
	Share       float64 // of the database's total execution time
}

// topStatements is how many statements the report lists.
const topStatements = 10

// statementSnapshot is the cumulative counters at one moment.
type statementSnapshot struct {
	err        error
	statements map[string]statementFigures // by user, query id and level
	commits    int64
	returned   int64
	fetched    int64
	walBytes   int64
	walFPI     int64
	checkpts   int64
}

// snapshotStatements reads pg_stat_statements (the view is in the postgres
// database; the orders role reads every statement through
// pg_read_all_stats) and pg_stat_database for dbName.
func snapshotStatements(ctx context.Context, dbName string) statementSnapshot {
	s := statementSnapshot{statements: map[string]statementFigures{}}
	db, err := postgres.Open(ctx, testenv.URLFor("postgres"))
	if err != nil {
		s.err = err
		return s
	}
	defer func() { _ = db.Close() }()
	if err := db.QueryRowContext(ctx, `SELECT xact_commit, tup_returned, tup_fetched FROM pg_stat_database WHERE datname = $1`, dbName).
		Scan(&s.commits, &s.returned, &s.fetched); err != nil {
		s.err = fmt.Errorf("pg_stat_database: %w", err)
		return s
	}
	if err := db.QueryRowContext(ctx, `SELECT w.wal_bytes::bigint, w.wal_fpi, b.checkpoints_timed + b.checkpoints_req FROM pg_stat_wal w, pg_stat_bgwriter b`).
		Scan(&s.walBytes, &s.walFPI, &s.checkpts); err != nil {
		s.err = fmt.Errorf("pg_stat_wal: %w", err)
		return s
	}
	rows, err := db.QueryContext(ctx, `SELECT s.userid::text || '/' || s.queryid::text || '/' || s.toplevel::text,
		s.query, s.calls, s.total_exec_time, s.rows
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`, dbName)
	if err != nil {
		s.err = err
		return s
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var key string
		var f statementFigures
		var totalMS float64
		if err := rows.Scan(&key, &f.Query, &f.Calls, &totalMS, &f.Rows); err != nil {
			s.err = err
			return s
		}
		f.Total = time.Duration(totalMS * float64(time.Millisecond))
		s.statements[key] = f
	}
	if err := rows.Err(); err != nil {
		s.err = err
	}
	return s
}

// statementsBetween is what happened between two snapshots, per order
// where it says so.
func statementsBetween(before, after statementSnapshot, orders int) *statementsResult {
	res := &statementsResult{}
	if err := cmp.Or(before.err, after.err); err != nil {
		res.Missing = "pg_stat_statements could not be read (" + strings.TrimSpace(err.Error()) +
			"); scripts/services.sh loads it when it starts PostgreSQL"
		return res
	}
	n := float64(max(orders, 1))
	res.CommitsPerOrder = float64(after.commits-before.commits) / n
	res.TuplesReturnedPerOrder = float64(after.returned-before.returned) / n
	res.TuplesFetchedPerOrder = float64(after.fetched-before.fetched) / n
	res.WALBytesPerOrder = float64(after.walBytes-before.walBytes) / n
	res.WALFullPagesPerOrder = float64(after.walFPI-before.walFPI) / n
	res.Checkpoints = after.checkpts - before.checkpts
	var all []statementFigures
	for key, a := range after.statements {
		b := before.statements[key]
		d := statementFigures{Query: a.Query, Calls: a.Calls - b.Calls, Total: a.Total - b.Total, Rows: a.Rows - b.Rows}
		if d.Calls <= 0 {
			continue
		}
		d.Mean = d.Total / time.Duration(d.Calls)
		res.Calls += d.Calls
		res.TotalTime += d.Total
		all = append(all, d)
	}
	slices.SortFunc(all, func(x, y statementFigures) int { return cmp.Compare(y.Total, x.Total) })
	for i := range all {
		all[i].Share = ratio(float64(all[i].Total), float64(res.TotalTime))
	}
	res.Top = all[:min(len(all), topStatements)]
	return res
}

// oneLine shortens a statement's text for a table row.
func oneLine(query string, limit int) string {
	q := strings.Join(strings.Fields(query), " ")
	q = strings.ReplaceAll(q, "|", `\|`)
	if len([]rune(q)) > limit {
		q = string([]rune(q)[:limit]) + "…"
	}
	return q
}
