package forwarder

import (
	"slices"
	"testing"
)

func TestAWakeUpNamesTheShardsWrittenSinceTheLastOne(t *testing.T) {
	var s shardSet
	s.add([]int{5})
	s.add([]int{3, 5})
	if got := s.payload(); got != "3,5" {
		t.Fatalf("payload %q, want \"3,5\"", got)
	}
	if got := parseShards(s.payload()); !slices.Equal(got, []int{3, 5}) {
		t.Fatalf("parsed %v, want [3 5]", got)
	}
	s.add(nil) // a writer that does not say: every shard
	if got := s.payload(); got != "" {
		t.Fatalf("payload %q after a wake-up of every shard, want empty", got)
	}
}

func TestAnUnreadableWakeUpWakesEveryShard(t *testing.T) {
	for _, payload := range []string{"", "x", "1,,2", "-1", "1;2"} {
		if got := parseShards(payload); got != nil {
			t.Errorf("parseShards(%q) = %v, want nil (every shard)", payload, got)
		}
	}
}
