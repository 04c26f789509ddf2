package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
)

// The services whose tables a process works on. Each may have a database
// of its own; the names are those of their outboxes, so that an outbox's
// forwarder and publisher find their database by the outbox's name.
const (
	ordersService    = "orders"    // DATABASE_URL: events, read models, orders outbox, the saga's inbox
	inventoryService = "inventory" // INVENTORY_DATABASE_URL: stock, reservations, inbox, parking lot, outbox
	paymentService   = "payment"   // PAYMENT_DATABASE_URL: payments, gateway ledger, inbox, parking lot, outbox
)

// urlOf returns the database URL of a service and the variable that sets it.
func (c DatabaseConfig) urlOf(service string) (dbURL, variable string) {
	switch service {
	case inventoryService:
		return c.InventoryURL, "INVENTORY_DATABASE_URL"
	case paymentService:
		return c.PaymentURL, "PAYMENT_DATABASE_URL"
	default:
		return c.URL, "DATABASE_URL"
	}
}

// servicesOf returns the services whose databases cmd works on.
func servicesOf(cmd string) []string {
	switch cmd {
	case "all", "migrate", "parked", "outbox":
		return []string{ordersService, inventoryService, paymentService}
	case "inventory":
		return []string{inventoryService}
	case "payment":
		return []string{paymentService}
	default:
		return []string{ordersService}
	}
}

// connsPerService is the smallest pool each service's part of cmd works
// with. A forwarder holds one connection per outbox shard for as long as it
// forwards a batch (and, while Kafka is down, while it retries), so those
// are taken first; on top, the forwarder's retention takes one, each consumer
// needs one for the message it handles (the payment's gateway a second
// one, its ledger's), and the API one per request in flight. Below this,
// the API or a consumer could wait on the forwarders for as long as Kafka is
// down. The forwarders' LISTEN connections are their own, outside the pool
// (count them in PostgreSQL's max_connections: one per forwarder). c's orders
// outbox shard count is the resolved one (resolveOutboxShards): with
// OUTBOX_SHARDS unset, the database's.
func connsPerService(cmd string, c Config) map[string]int {
	orders := c.Outbox.Shards + 1
	inventory := c.Outbox.inventoryOutbox().Shards + 1 + 1
	payment := c.Outbox.paymentOutbox().Shards + 1 + 2
	switch cmd {
	case "all":
		// + the saga's message, + an API request
		return map[string]int{ordersService: orders + 1 + 1, inventoryService: inventory, paymentService: payment}
	case "forwarder":
		return map[string]int{ordersService: orders}
	case "inventory":
		return map[string]int{inventoryService: inventory}
	case "payment":
		return map[string]int{paymentService: payment}
	default:
		need := map[string]int{}
		for _, s := range servicesOf(cmd) {
			need[s] = 1
		}
		return need
	}
}

// poolNeeds sums connsPerService over the services that share a database:
// the smallest size of each pool cmd opens, by URL.
func poolNeeds(cmd string, c Config) map[string]int {
	need := map[string]int{}
	for service, n := range connsPerService(cmd, c) {
		u, _ := c.Database.urlOf(service)
		need[u] += n
	}
	return need
}

// minConns is the smallest DATABASE_MAX_CONNS cmd works with: its largest
// pool's need.
func minConns(cmd string, c Config) int {
	largest := 1
	for _, n := range poolNeeds(cmd, c) {
		largest = max(largest, n)
	}
	return largest
}

// checkPool refuses to run cmd on pools that are too small for it.
func checkPool(cmd string, c Config) error {
	if need := minConns(cmd, c); c.Database.MaxConns < need {
		return fmt.Errorf("DATABASE_MAX_CONNS: `orders %s` needs at least %d connections on a pool "+
			"(one per outbox shard it forwards, and some for its consumers and API), got %d", cmd, need, c.Database.MaxConns)
	}
	return nil
}

// boundsLockWaits reports whether cmd's sessions give up on a lock after
// DATABASE_LOCK_TIMEOUT: the services' business transactions do, and
// retry. Not the commands whose work is to wait for the others: `migrate`
// (DDL waits for running transactions), `outbox` (repair, reshard and a
// replay wait for a forwarder's turn on a shard and for its writers) and
// `rebuild-read-models` (locks the read models against writers).
func boundsLockWaits(cmd string) bool {
	switch cmd {
	case "migrate", "outbox", "rebuild-read-models":
		return false
	}
	return true
}

// openPools opens one pool per distinct database of cmd's services and
// returns them by service; services on one URL share one pool. Unless
// cmd migrates, a database with migrations still to apply is refused: its
// service would fail later on a missing table.
func openPools(ctx context.Context, cmd string, c DatabaseConfig) (pools map[string]*sql.DB, closeAll func(), err error) {
	pools, byURL := map[string]*sql.DB{}, map[string]*sql.DB{}
	closeAll = func() {
		for _, db := range byURL {
			_ = db.Close()
		}
	}
	for _, service := range servicesOf(cmd) {
		u, variable := c.urlOf(service)
		if db, ok := byURL[u]; ok {
			pools[service] = db
			continue
		}
		db, err := openDB(ctx, c, u, boundsLockWaits(cmd))
		if err == nil && cmd != "migrate" {
			err = checkMigrated(ctx, db)
		}
		if err != nil {
			if db != nil {
				_ = db.Close()
			}
			closeAll()
			return nil, nil, fmt.Errorf("the %s database (%s=%s): %w", service, variable, redactURL(u), err)
		}
		byURL[u], pools[service] = db, db
	}
	return pools, closeAll, nil
}

// checkMigrated fails when db has migrations still to apply.
func checkMigrated(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pending, err := postgres.HasPendingMigrations(ctx, db)
	if err != nil {
		return err
	}
	if pending {
		return errors.New("migrations are pending: run `orders migrate` with the same database variables first")
	}
	return nil
}

// distinctPools returns each pool once, in the order of servicesOf.
func distinctPools(cmd string, pools map[string]*sql.DB) []*sql.DB {
	var out []*sql.DB
	for _, service := range servicesOf(cmd) {
		if db := pools[service]; db != nil && !slices.Contains(out, db) {
			out = append(out, db)
		}
	}
	return out
}

// validDatabaseURL accepts what the driver does: a postgres:// or
// postgresql:// URL, or a key=value connection string.
func validDatabaseURL(s string) bool {
	if !strings.Contains(s, "://") {
		return strings.Contains(s, "=")
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
}

// redactURL hides a URL's password, for errors and logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || !strings.Contains(s, "://") {
		return "(a connection string)"
	}
	return u.Redacted()
}
