//go:build chaos

package takeovertest

import (
	"context"
	"testing"
	"time"
)

// The long version: five freezes of alternating relays under a steady
// write load, each held 12 s (the measurement), with the figures
// logged. -short makes it two freezes.
func TestRepeatedFreezesLoseNothing(t *testing.T) {
	h := newHarness(t)
	ctx, stop := context.WithCancel(context.Background())
	written := h.write(ctx, 8, time.Millisecond)
	relays := []*relayProcess{h.start("relay-a"), h.start("relay-b")}
	rounds := 5
	if testing.Short() {
		rounds = 2
	}
	var worst time.Duration
	for i := range rounds {
		took := freezeOnce(t, h, relays[i%2], 12*time.Second-takeoverBound/2)
		worst = max(worst, took)
	}
	t.Logf("%d freezes, slowest takeover %s", rounds, worst.Round(time.Millisecond))
	stop()
	<-written
	records, duplicates := h.check(2 * time.Minute)
	t.Logf("records on Kafka: %d, duplicates: %d", records, duplicates)
}
