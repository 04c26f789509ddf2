package kafka

import "testing"

// A factor set explicitly needs no cluster: the minimum in sync follows it,
// one less and at least 1, unless set too.
func TestReplicationMinInSyncFollowsTheFactor(t *testing.T) {
	for _, c := range []struct{ in, want Replication }{
		{Replication{Factor: 3}, Replication{Factor: 3, MinInSync: 2}},
		{Replication{Factor: 2}, Replication{Factor: 2, MinInSync: 1}},
		{Replication{Factor: 1}, Replication{Factor: 1, MinInSync: 1}},
		{Replication{Factor: 3, MinInSync: 3}, Replication{Factor: 3, MinInSync: 3}},
	} {
		got, err := c.in.resolve(nil)
		if err != nil || got != c.want {
			t.Errorf("%+v resolved to %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}
