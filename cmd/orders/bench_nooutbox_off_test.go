//go:build !benchnooutbox

package main

import "testing"

// The production build has no OUTBOX_DISABLED: the API publishes whatever
// the environment says.
func TestProductionBuildHasNoOutboxSwitch(t *testing.T) {
	c, err := configFrom(map[string]string{"OUTBOX_DISABLED": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if ob := c.bench.apiOutbox(nil); ob != nil {
		t.Errorf("the API writes through %T, want the real outbox", ob)
	}
}
