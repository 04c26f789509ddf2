package testenv

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/postgres"
)

// Sent is a statement a pool opened by OpenObserved (a StatementLog's)
// sent to PostgreSQL.
type Sent struct {
	Query string
	// Unprepared: sent with its arguments as a statement of its own,
	// which lib/pq does in two round trips (parse and plan, then run).
	Unprepared bool
	// Prepared: run on a statement the connection prepared, which the
	// server neither parses nor plans again. Neither this nor Unprepared:
	// a simple query without arguments, parsed and planned at every run.
	Prepared bool
	InTx     bool // inside a transaction
}

// StatementLog is a pool on a test database that logs the statements its
// connections run, prepared or not, and the transactions they begin: what
// tests of a store count its round trips with.
type StatementLog struct {
	DB *sql.DB

	mu   sync.Mutex
	sent []Sent
	txs  int
}

// NewStatementLog opens a logging pool on the database at dbURL, closed
// when the test ends.
func NewStatementLog(t testing.TB, dbURL string) *StatementLog {
	t.Helper()
	connector, err := pq.NewConnector(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	l := &StatementLog{}
	l.DB = OpenObserved(connector, statementLogObserver{l})
	t.Cleanup(func() { _ = l.DB.Close() })
	return l
}

// Take returns what was sent since the last Take, and the transactions
// begun, and forgets them.
func (l *StatementLog) Take() (sent []Sent, transactions int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sent, transactions = l.sent, l.txs
	l.sent, l.txs = nil, 0
	return sent, transactions
}

// Unprepared returns the queries of sent that went unprepared with
// arguments (a statement without arguments is one round trip anyway).
func Unprepared(sent []Sent) []string {
	var out []string
	for _, s := range sent {
		if s.Unprepared && !slices.Contains(out, s.Query) {
			out = append(out, s.Query)
		}
	}
	return out
}

// RunsPrepared runs round until one round sends no statement with
// arguments unprepared, and fails the test if none does within 30 s: a
// store prepares its statements in the background after their first use
// (pgtx.Statements), so the first round may send them unprepared.
func (l *StatementLog) RunsPrepared(t testing.TB, round func()) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		l.Take()
		round()
		sent, _ := l.Take()
		unprepared := Unprepared(sent)
		if len(unprepared) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, a round still sends %d statement(s) unprepared, e.g.:\n%s", len(unprepared), unprepared[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// statementLogObserver keeps what a StatementLog's pool sends.
type statementLogObserver struct{ l *StatementLog }

func (o statementLogObserver) Begun() {
	o.l.mu.Lock()
	o.l.txs++
	o.l.mu.Unlock()
}

func (o statementLogObserver) Sent(s Sent, _ []driver.NamedValue) {
	o.l.mu.Lock()
	o.l.sent = append(o.l.sent, s)
	o.l.mu.Unlock()
}

func (statementLogObserver) Ended(bool) {}

// StatementObserver is told what the connections of a pool opened by
// OpenObserved send: each statement with its arguments, and the beginning
// and end of each transaction. StatementLog is one; the write-path
// benchmark's capture of an order's transaction (cmd/orders-bench) another.
type StatementObserver interface {
	Begun()
	Sent(s Sent, args []driver.NamedValue)
	Ended(committed bool)
}

// OpenObserved opens a pool on connector (lib/pq's) whose connections
// tell observer what they send.
func OpenObserved(connector driver.Connector, observer StatementObserver) *sql.DB {
	return sql.OpenDB(logConnector{Connector: connector, observer: observer})
}

type logConnector struct {
	driver.Connector
	observer StatementObserver
}

func (c logConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &logConn{Conn: conn, observer: c.observer}, nil
}

var errNoContextMethod = errors.New("statement log: lib/pq connection lacks a context method")

// logConn passes everything to lib/pq's connection and logs the
// statements: those run on the connection itself went unprepared, those
// run on a statement it prepared went prepared.
type logConn struct {
	driver.Conn
	observer StatementObserver
	inTx     bool
}

func (c *logConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, errNoContextMethod
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.observer.Begun()
	c.inTx = true
	return logTx{Tx: tx, conn: c}, nil
}

func (c *logConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, errNoContextMethod
	}
	c.observer.Sent(Sent{Query: query, Unprepared: len(args) > 0, InTx: c.inTx}, args)
	return e.ExecContext(ctx, query, args)
}

func (c *logConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, errNoContextMethod
	}
	c.observer.Sent(Sent{Query: query, Unprepared: len(args) > 0, InTx: c.inTx}, args)
	return q.QueryContext(ctx, query, args)
}

func (c *logConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	p, ok := c.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, errNoContextMethod
	}
	stmt, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &logStmt{Stmt: stmt, query: query, conn: c}, nil
}

// CheckNamedValue converts arguments as lib/pq's connection does.
func (c *logConn) CheckNamedValue(nv *driver.NamedValue) error {
	if checker, ok := c.Conn.(driver.NamedValueChecker); ok {
		return checker.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// ResetSession passes lib/pq's check of a connection back in the pool on.
func (c *logConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

type logTx struct {
	driver.Tx
	conn *logConn
}

func (t logTx) Commit() error {
	t.conn.inTx = false
	err := t.Tx.Commit()
	t.conn.observer.Ended(err == nil)
	return err
}

func (t logTx) Rollback() error {
	t.conn.inTx = false
	t.conn.observer.Ended(false)
	return t.Tx.Rollback()
}

type logStmt struct {
	driver.Stmt
	query string
	conn  *logConn
}

func (s *logStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, errNoContextMethod
	}
	s.conn.observer.Sent(Sent{Query: s.query, Prepared: true, InTx: s.conn.inTx}, args)
	return e.ExecContext(ctx, args)
}

func (s *logStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, errNoContextMethod
	}
	s.conn.observer.Sent(Sent{Query: s.query, Prepared: true, InTx: s.conn.inTx}, args)
	return q.QueryContext(ctx, args)
}

// StatementCalls is how many times statements whose normalized text (as
// pg_stat_statements shows it: constants become $n) contains fragment ran
// on db's database, from pg_stat_statements, which the server loads
// (scripts/services.sh) and the postgres database holds.
func StatementCalls(t testing.TB, db *sql.DB, fragment string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var name string
	if err := db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	stats, err := postgres.Open(ctx, URLFor("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stats.Close() }()
	var calls int64
	err = stats.QueryRowContext(ctx, `SELECT COALESCE(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = $1 AND strpos(s.query, $2) > 0`, name, fragment).Scan(&calls)
	if err != nil {
		t.Fatalf("pg_stat_statements (scripts/services.sh loads it): %v", err)
	}
	return calls
}
