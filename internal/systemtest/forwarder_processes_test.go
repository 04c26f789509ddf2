package systemtest

import (
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/internal/testenv"
)

// startForwarder runs `orders forwarder` alone on the harness's database and
// orders topic, as application_name name (pg_stat_activity tells the
// forwarders apart), with env added; the forwarder scenarios set the rest
// themselves, so that the forwarder runs with the settings they measure.
func (h *harness) startForwarder(name string, env ...string) *testenv.Process {
	return testenv.StartProcess(h.t, name, ordersBinary(h.t), []string{"forwarder"}, append([]string{
		"DATABASE_URL=" + h.dbURL + "&application_name=" + name,
		"KAFKA_BROKERS=" + h.brokers[0],
		"ORDERS_TOPIC=" + h.value("ORDERS_TOPIC"),
	}, env...)...)
}

// heldShards returns the shards of the orders outbox whose lock a session
// of application app holds, with the holding backend's PID.
func (h *harness) heldShards(app string) map[string]int64 {
	held := map[string]int64{}
	for _, topic := range outbox.Orders.SQLTopics() {
		classID, objID := outbox.ShardLockID(topic, outbox.DefaultConsumerGroup)
		var pid int64
		err := h.db.QueryRow(`
			SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
				AND l.objsubid = 1 AND a.application_name = $3`, classID, objID, app).Scan(&pid)
		if err == nil {
			held[topic] = pid
		}
	}
	return held
}

// position is where the default consumer group stands in a shard.
func (h *harness) position(topic string) string {
	var p string
	if err := h.db.QueryRow(`SELECT last_processed_transaction_id || '/' || offset_acked FROM `+outbox.OffsetsTable(topic)+
		` WHERE consumer_group = $1`, outbox.DefaultConsumerGroup).Scan(&p); err != nil {
		h.t.Fatal(err)
	}
	return p
}
