package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/postgres"
)

// targetVsOrderPgbench is issue 22's goal: confirmed orders/s over the
// rate at which pgbench runs one confirmed order's business statements.
const targetVsOrderPgbench = 0.5

// orderLimit is the database's limit for whole orders: pgbench running the
// business statements of one confirmed order's transactions (placement,
// reservation, payment, saga; captureConfirmedOrder), each script run one
// order, on a fresh database of its own.
type orderLimit struct {
	Script       string
	Transactions int // BEGIN … COMMIT blocks
	Standalone   int // statements sent outside a transaction
	Statements   int
	Clients      int
	Duration     time.Duration
	Rate         float64 // script runs, that is orders, per second
	Background   float64
}

// measureOrderLimit captures one confirmed order on a fresh database and
// runs its script with pgbench at referenceClients for o.Step, after a
// warm-up, as the write path runs its own.
func measureOrderLimit(ctx context.Context, e *environment, o options) (*orderLimit, error) {
	db, err := e.newDatabase(ctx, "orderlimit")
	if err != nil {
		return nil, err
	}
	if err := runOrders(ctx, e.ordersBin, "migrate", e.serviceEnv(db, nil)); err != nil {
		return nil, err
	}
	deadLetters, err := e.newTopic("capture-dlq", 1, false)
	if err != nil {
		return nil, err
	}
	txs, err := captureConfirmedOrder(ctx, db.url, e.brokers, deadLetters)
	if err != nil {
		return nil, err
	}
	pg, err := postgres.Open(ctx, db.url)
	if err != nil {
		return nil, err
	}
	defer func() { _ = pg.Close() }()
	script, err := renderScript(ctx, pg, txs, newScriptVariables(skuSets(), skuVariables()))
	if err != nil {
		return nil, err
	}
	file := filepath.Join(e.dir, "confirmed-order.sql")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		return nil, err
	}
	l := &orderLimit{Script: script, Clients: referenceClients, Duration: o.Step}
	for _, tx := range txs {
		l.Statements += len(tx.Statements)
		if tx.Standalone {
			l.Standalone++
		} else {
			l.Transactions++
		}
	}
	if _, err := runPgbench(ctx, o.Pgbench, db.url, []string{file}, 8, max(time.Second, o.Warmup)); err != nil {
		return nil, err
	}
	server0, busy0, t0 := postgresServer{}.CPU(), machineBusy(), time.Now()
	pb, err := runPgbench(ctx, o.Pgbench, db.url, []string{file}, l.Clients, l.Duration)
	if err != nil {
		return nil, err
	}
	server1, busy1 := postgresServer{}.CPU(), machineBusy()
	l.Rate = pb.TPS
	l.Background = backgroundShare(busy1-busy0, pb.CPU+(server1-server0), time.Since(t0))
	return l, nil
}

// skuVariables has the captured order's SKUs drawn afresh per script run,
// two different ones of the catalogue as the load generator's orders have
// (its two lines may share a SKU; the captured statements' shapes are
// those of two), so that the clients lock stock rows as the service's
// orders do rather than all the same two.
func skuVariables() map[string]string {
	prefix := strings.TrimRight(skuName(0), "0")
	digits := len(skuName(0)) - len(prefix)
	vars := map[string]string{}
	for i, sku := range capturedSKUs {
		vars[skuName(sku)] = fmt.Sprintf("(%s || lpad(:sku%d::text, %d, '0'))", pq.QuoteLiteral(prefix), i, digits)
	}
	return vars
}

// skuSets are the pgbench lines that draw skuVariables' SKUs.
func skuSets() string {
	return fmt.Sprintf("\\set sku0 random(0, %d)\n\\set sku1 (:sku0 + random(1, %d)) %% %d\n", skus-1, skus-1, skus)
}
