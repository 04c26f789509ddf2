// Package postgres implements the application's storage ports on
// PostgreSQL: the event store, the read models and the unit of work that
// writes them together with the outbox.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Option changes how Open connects.
type Option func(params map[string]string)

// IdleInTransactionTimeout sets PostgreSQL's
// idle_in_transaction_session_timeout on every session of the pool: the
// server ends a session that stays idle this long inside a transaction.
// An outbox writer blocks its shards' delivery while its transaction
// is open (docs/forwarder.md), so the service bounds how long one of its
// own can. 0 leaves the server's setting.
func IdleInTransactionTimeout(d time.Duration) Option {
	return func(params map[string]string) {
		if d > 0 {
			params["idle_in_transaction_session_timeout"] = strconv.FormatInt(max(d.Milliseconds(), 1), 10)
		}
	}
}

// LockTimeout sets PostgreSQL's lock_timeout on every session of the
// pool: a statement that waits this long for a lock fails (SQLSTATE
// 55P03) and its transaction rolls back. A business transaction that
// announced itself as an outbox writer blocks its shards' delivery
// while it waits, and a session that holds the row it wants (psql, a
// report, DDL) may not end soon; waiting as "active", the idle timeout
// does not end it. The caller retries. 0 leaves the server's setting.
func LockTimeout(d time.Duration) Option {
	return func(params map[string]string) {
		if d > 0 {
			params["lock_timeout"] = strconv.FormatInt(max(d.Milliseconds(), 1), 10)
		}
	}
}

// Open connects to PostgreSQL and checks the connection. Options become
// run-time parameters of every session's start-up message (lib/pq sends
// the connection string's parameters it does not know itself to the
// server), so they hold from the first statement of every connection.
func Open(ctx context.Context, dsn string, opts ...Option) (*sql.DB, error) {
	params := map[string]string{}
	for _, opt := range opts {
		opt(params)
	}
	dsn, err := withParams(dsn, params)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	connector, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(40)
	db.SetMaxIdleConns(40)
	db.SetConnMaxIdleTime(5 * time.Minute)

	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// withParams adds params to a URL or key=value connection string.
func withParams(dsn string, params map[string]string) (string, error) {
	if len(params) == 0 {
		return dsn, nil
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("database URL: %w", err)
		}
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	for k, v := range params {
		dsn += " " + k + "=" + v
	}
	return dsn, nil
}
