package forwarder_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/internal/testenv"
)

// TestAShardsOwnStatementsRunPrepared: once the forwarder has prepared
// them (in the background, after their first run), the statement that
// takes a shard's lease and the look at its state after a short batch run
// prepared. Sent as simple queries, the server parsed and planned them in
// every cycle. (The held orders are read by the select, which
// watermill-sql's subscriber sends itself.)
func TestAShardsOwnStatementsRunPrepared(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	log := testenv.NewStatementLog(t, dbURL)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 3)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	fwd, _ := startForwarder(t, log.DB, dbURL, brokers, forwarder.Config{BatchSize: 10, IdlePollInterval: time.Hour})

	own := map[string]string{
		"the lease":         "pg_try_advisory_xact_lock",
		"the shard's state": "SELECT o.consumer_group IS NULL",
	}
	deadline := time.Now().Add(30 * time.Second)
	for cycle := 1; ; cycle++ {
		log.Take()
		publish(t, log.DB, pub, topic, newMessage(t, fmt.Sprintf("order-%d", cycle), 1))
		fwd.Wake()
		if got := readEvents(t, brokers, topic, cycle, 30*time.Second); len(got) < cycle {
			t.Fatalf("%d record(s) on Kafka, want %d", len(got), cycle)
		}
		time.Sleep(200 * time.Millisecond) // the look at the state after the short batch
		sent, _ := log.Take()
		var missing, unprepared []string
		for name, fragment := range own {
			seen, prepared := false, true
			for _, s := range sent {
				if strings.Contains(s.Query, fragment) {
					seen, prepared = true, prepared && s.Prepared
				}
			}
			switch {
			case !seen:
				missing = append(missing, name)
			case !prepared:
				unprepared = append(unprepared, name)
			}
		}
		if len(missing) > 0 {
			t.Fatalf("cycle %d: the forwarder did not read %v", cycle, missing)
		}
		if len(unprepared) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d cycles, %v still run unprepared", cycle, unprepared)
		}
	}
}
