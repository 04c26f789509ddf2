package pgtx

import (
	"context"
	"database/sql"
)

// The statements a service runs outside any transaction (a read, a
// stand-alone write such as a gateway's ledger entry or a parking check)
// pay the same second round trip as those inside one. Statements runs
// them prepared on the pool too, with the cache its units of work use.

// ExecContext runs query on the database outside a transaction, prepared
// when it can be.
func (s *Statements) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if stmt := s.statement(ctx, query); stmt != nil { //nolint:sqlclosecheck // the cache keeps it open for the next calls; Close closes it
		return stmt.ExecContext(ctx, args...)
	}
	return s.db.ExecContext(ctx, query, args...)
}

// QueryContext runs query on the database outside a transaction, prepared
// when it can be.
func (s *Statements) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if stmt := s.statement(ctx, query); stmt != nil { //nolint:sqlclosecheck // the cache keeps it open for the next calls; Close closes it
		return stmt.QueryContext(ctx, args...)
	}
	return s.db.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query on the database outside a transaction,
// prepared when it can be.
func (s *Statements) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if stmt := s.statement(ctx, query); stmt != nil { //nolint:sqlclosecheck // the cache keeps it open for the next calls; Close closes it
		return stmt.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, query, args...)
}
