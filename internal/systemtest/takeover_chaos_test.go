//go:build chaos

package systemtest

import (
	"context"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// TestRepeatedFreezesLoseNothing is the long version of
// TestStandbyTakesOverAFrozenForwarder: five freezes of alternating forwarders
// under a steady write load, each held 12 s, with the figures logged.
// -short makes it two freezes.
func TestRepeatedFreezesLoseNothing(t *testing.T) {
	h := newHarness(t, setup{})
	w := newOutboxWriter(h)
	ctx, stop := context.WithCancel(context.Background())
	written := w.writeUntil(ctx, 8, time.Millisecond)
	forwarders := []*testenv.Process{h.startForwarder("forwarder-a", takeoverForwarderEnv...), h.startForwarder("forwarder-b", takeoverForwarderEnv...)}
	rounds := runScale().freezes
	var worst time.Duration
	for i := range rounds {
		took := freezeOnce(t, h, forwarders[i%2], 12*time.Second-takeoverBound/2)
		worst = max(worst, took)
	}
	t.Logf("%d freezes, slowest takeover %s", rounds, worst.Round(time.Millisecond))
	stop()
	<-written
	w.check(2 * time.Minute)
}
