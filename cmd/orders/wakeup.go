package main

import (
	"sync/atomic"

	"github.com/orderflow/orders/adapters/outbox/relay"
)

// In `orders all` every outbox's writers and its relay run in one
// process: a writer's commit wakes the relay's shards with a call instead
// of a NOTIFY that PostgreSQL would only send back to this same process.
// The relay still LISTENs, for writers in other processes (`orders parked
// release`, another instance). Split processes (`api` and `forward`) wake
// each other with the NOTIFY, as before.

// relayWaker passes a writer's wake-up to the relay of its outbox in this
// process once the relay is built. Before that there is nothing to wake:
// a relay starts by reading what was committed before it ran.
type relayWaker struct {
	relay atomic.Pointer[relay.Relay]
}

func (w *relayWaker) wake(shards ...int) {
	if rel := w.relay.Load(); rel != nil {
		rel.Wake(shards...)
	}
}

// relayWaker returns the waker of an outbox's relay in this process.
func (r *root) relayWaker(outbox string) *relayWaker {
	w, _ := r.wakers.LoadOrStore(outbox, &relayWaker{})
	waker, _ := w.(*relayWaker) // the map holds nothing else
	return waker
}
