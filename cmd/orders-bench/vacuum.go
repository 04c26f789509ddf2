package main

import (
	"context"
	"database/sql"
	"fmt"
)

// vacuumOwnTables runs VACUUM ANALYZE on the tables the connected role
// owns: those of the bench's database. A bare VACUUM would also go
// through the system catalogs, which the role may not vacuum, and leave a
// warning per catalog in the server's log that operators read.
func vacuumOwnTables(ctx context.Context, db *sql.DB) error {
	var tables sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT string_agg(format('%I.%I', schemaname, tablename), ', ')
		FROM pg_tables WHERE tableowner = current_user`).Scan(&tables); err != nil {
		return fmt.Errorf("list the tables to vacuum: %w", err)
	}
	if !tables.Valid {
		return nil
	}
	if _, err := db.ExecContext(ctx, `VACUUM ANALYZE `+tables.String); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}
