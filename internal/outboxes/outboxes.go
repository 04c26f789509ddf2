// Package outboxes names the transactional outboxes of the downstream
// services. Each service writes its events into its own outbox, in the
// transaction of its state change, and runs that outbox's forwarder.
package outboxes

import "github.com/orderflow/orders/adapters/outbox"

// The inventory's and the payment service's outboxes. Their layouts are
// created by migration 00023; the shard count is recorded there.
var (
	Inventory = outbox.Config{Name: "inventory", Shards: 4}
	Payment   = outbox.Config{Name: "payment", Shards: 4}
)
