package pgtx

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// MaxStatements bounds the statements a Statements keeps prepared. A
// statement whose text varies without end (one built from data) would
// otherwise fill the cache and every connection's memory; past the bound,
// new texts run unprepared.
const MaxStatements = 256

// retryPrepareAfter is how long a statement that failed to prepare runs
// unprepared before it is tried again.
const retryPrepareAfter = 10 * time.Second

// Statements prepares the statements of units of work once on a
// database and runs them prepared: lib/pq sends an unprepared statement
// with arguments as a parse and plan in one round trip and the execution
// in a second, a prepared one as a single round trip that the server
// neither parses nor plans again (after its first few executions it runs
// a cached generic plan).
//
// A statement is prepared on the *sql.DB after a unit of work first runs
// it, in the background: preparing needs a connection of the pool, and a
// unit of work waiting for one while it holds its own could exhaust the
// pool. Until then it runs unprepared. Each unit of work binds the
// prepared statement to its transaction with Tx.StmtContext (database/sql
// prepares it once on each connection that needs it, on that connection,
// and forgets connections that close).
type Statements struct {
	db *sql.DB

	mu       sync.RWMutex
	prepared map[string]*sql.Stmt
	pending  map[string]bool
	failed   map[string]time.Time // when a statement failed to prepare
	closed   bool
}

// NewStatements returns an empty statement cache on db.
func NewStatements(db *sql.DB) (*Statements, error) {
	if db == nil {
		return nil, errors.New("statement cache needs a database")
	}
	return &Statements{db: db, prepared: map[string]*sql.Stmt{}, pending: map[string]bool{}, failed: map[string]time.Time{}}, nil
}

// Do is the package's Do on the cache's database, with a unit of work
// whose ExecContext, QueryContext and QueryRowContext run prepared.
func (s *Statements) Do(ctx context.Context, fn func(uow *UnitOfWork) error) error {
	return run(ctx, s.db, s, fn)
}

// Close closes the prepared statements on every connection; the cache
// prepares nothing more.
func (s *Statements) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for query, stmt := range s.prepared {
		errs = append(errs, stmt.Close())
		delete(s.prepared, query)
	}
	return errors.Join(errs...)
}

// Len is the number of statements prepared.
func (s *Statements) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.prepared)
}

// statement returns query prepared on the database, or nil while it is
// not (yet): the caller runs it unprepared, and the server reports what
// is wrong with it as it would have.
func (s *Statements) statement(ctx context.Context, query string) *sql.Stmt {
	s.mu.RLock()
	stmt, ok := s.prepared[query]
	s.mu.RUnlock()
	if ok {
		return stmt
	}
	s.prepareLater(ctx, query)
	return nil
}

// prepareLater prepares query in the background, unless it is being
// prepared, failed lately, or the cache is full or closed. The
// preparation outlives ctx's cancellation: the statement is for the next
// units of work.
func (s *Statements) prepareLater(ctx context.Context, query string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.pending[query] || s.prepared[query] != nil || len(s.prepared)+len(s.pending) >= MaxStatements {
		return
	}
	if at, ok := s.failed[query]; ok && time.Since(at) < retryPrepareAfter {
		return
	}
	s.pending[query] = true
	go s.prepare(context.WithoutCancel(ctx), query)
}

func (s *Statements) prepare(ctx context.Context, query string) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	stmt, err := s.db.PrepareContext(ctx, query)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, query)
	switch {
	case err != nil:
		if len(s.failed) < MaxStatements {
			s.failed[query] = time.Now()
		}
	case s.closed:
		_ = stmt.Close() //nolint:sqlclosecheck // kept open in the cache unless the cache closed meanwhile
	default:
		delete(s.failed, query)
		s.prepared[query] = stmt
	}
}
