package pgtx

import (
	"context"
	"database/sql"
)

// Prepared runs queries prepared from a Statements cache in one
// transaction, or on the cache's database: for code that is handed a
// *sql.Tx rather than a unit of work (the outbox forwarder's lease, taken
// in the transaction watermill-sql's subscriber begins). A statement
// without arguments gains as much as one with them: lib/pq sends it as a
// simple query, which the server parses and plans at every run.
type Prepared struct {
	stmts *Statements
	tx    *sql.Tx // nil: on the database
}

// In returns the cache's statements in tx, or on the database when tx
// is nil.
func (s *Statements) In(tx *sql.Tx) Prepared {
	return Prepared{stmts: s, tx: tx}
}

// QueryContext runs query prepared once the cache holds it, unprepared
// until then.
func (p Prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if stmt := p.statement(ctx, query); stmt != nil { //nolint:sqlclosecheck // the transaction, or the cache, closes it
		return stmt.QueryContext(ctx, args...)
	}
	if p.tx != nil {
		return p.tx.QueryContext(ctx, query, args...)
	}
	return p.stmts.db.QueryContext(ctx, query, args...)
}

// QueryRowContext is QueryContext for one row.
func (p Prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if stmt := p.statement(ctx, query); stmt != nil { //nolint:sqlclosecheck // the transaction, or the cache, closes it
		return stmt.QueryRowContext(ctx, args...)
	}
	if p.tx != nil {
		return p.tx.QueryRowContext(ctx, query, args...)
	}
	return p.stmts.db.QueryRowContext(ctx, query, args...)
}

// statement is query's prepared statement, bound to the transaction if
// there is one; nil while the cache does not hold it.
func (p Prepared) statement(ctx context.Context, query string) *sql.Stmt {
	stmt := p.stmts.statement(ctx, query)
	if stmt == nil || p.tx == nil {
		return stmt
	}
	return p.tx.StmtContext(ctx, stmt)
}
