package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
)

// TestServiceRolesReachOnlyTheirOwnTables connects as each service's role
// (scripts/services.sh creates them; migration 00036 grants) to a
// migrated database: it reads and writes its own tables, and may neither
// drop nor create a table, nor read or write another service's.
func TestServiceRolesReachOnlyTheirOwnTables(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	own := map[string]string{"orders_app": "orders", "inventory_app": "inventory_stock", "payment_app": "payments"}
	writes := map[string]string{
		"orders_app":    `INSERT INTO idempotency_keys (key, fingerprint, order_id) VALUES ('k', 'h', gen_random_uuid())`,
		"inventory_app": `INSERT INTO inventory_stock (sku, on_hand) VALUES ('ROLE-TEST', 1)`,
		"payment_app":   `DELETE FROM payment_inbox`,
	}
	for _, role := range testenv.ServiceRoles {
		t.Run(role, func(t *testing.T) {
			ctx := context.Background()
			db, err := postgres.Open(ctx, testenv.RoleURL(t, dbURL, role))
			if err != nil {
				t.Fatalf("log in as %s (created by `make services`): %v", role, err)
			}
			defer func() { _ = db.Close() }()

			if _, err := db.ExecContext(ctx, `SELECT count(*) FROM `+own[role]); err != nil {
				t.Errorf("%s reads its own %s: %v", role, own[role], err)
			}
			if _, err := db.ExecContext(ctx, writes[role]); err != nil {
				t.Errorf("%s writes its own tables: %v", role, err)
			}
			if _, err := db.ExecContext(ctx, `SELECT count(*) FROM goose_db_version`); err != nil {
				t.Errorf("%s reads the schema version it checks at start: %v", role, err)
			}
			refused := []string{`DROP TABLE ` + own[role], `CREATE TABLE role_test (i int)`, `ALTER TABLE ` + own[role] + ` ADD COLUMN x int`, `TRUNCATE ` + own[role]}
			for other, table := range own {
				if other != role {
					refused = append(refused, `SELECT count(*) FROM `+table, `DELETE FROM `+table)
				}
			}
			for _, stmt := range refused {
				_, err := db.ExecContext(ctx, stmt)
				denied := err != nil && (strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "must be owner"))
				if !denied {
					t.Errorf("%s: %s: %v, want permission denied", role, stmt, err)
				}
			}
		})
	}
}
