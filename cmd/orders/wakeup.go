package main

import (
	"sync/atomic"

	"github.com/orderflow/orders/adapters/outbox/forwarder"
)

// In `orders all` every outbox's writers and its forwarder run in one
// process: a writer's commit wakes the forwarder's shards with a call instead
// of a NOTIFY that PostgreSQL would only send back to this same process.
// The forwarder still LISTENs, for writers in other processes (`orders parked
// release`, another instance). Split processes (`api` and `forward`) wake
// each other with the NOTIFY, as before.

// forwarderWaker passes a writer's wake-up to the forwarder of its outbox in this
// process once the forwarder is built. Before that there is nothing to wake:
// a forwarder starts by reading what was committed before it ran.
type forwarderWaker struct {
	forwarder atomic.Pointer[forwarder.Forwarder]
}

func (w *forwarderWaker) wake(shards ...int) {
	if rel := w.forwarder.Load(); rel != nil {
		rel.Wake(shards...)
	}
}

// forwarderWaker returns the waker of an outbox's forwarder in this process.
func (r *resources) forwarderWaker(outbox string) *forwarderWaker {
	w, _ := r.wakers.LoadOrStore(outbox, &forwarderWaker{})
	waker, _ := w.(*forwarderWaker) // the map holds nothing else
	return waker
}
