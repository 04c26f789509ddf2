package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"

	"github.com/orderflow/orders/migrations"
)

// Migrate applies every pending migration.
func Migrate(ctx context.Context, db *sql.DB) error {
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		slog.DebugContext(ctx, "migration applied", "source", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// HasPendingMigrations says whether db lacks migrations this binary has.
func HasPendingMigrations(ctx context.Context, db *sql.DB) (bool, error) {
	var migrated bool // goose's table exists: a never-migrated database has none
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&migrated); err != nil {
		return false, fmt.Errorf("check migrations: %w", err)
	}
	if !migrated {
		return true, nil
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		return false, fmt.Errorf("migrations: %w", err)
	}
	pending, err := provider.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check migrations: %w", err)
	}
	return pending, nil
}
