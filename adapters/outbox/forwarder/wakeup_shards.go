package forwarder

import (
	"slices"
	"strconv"
	"strings"
)

// shardSet is the shards a Notifier has to wake.
type shardSet struct {
	any    bool // something to send
	all    bool
	shards map[int]struct{}
}

func (s *shardSet) add(shards []int) {
	s.any = true
	if len(shards) == 0 {
		s.all = true
		return
	}
	if s.shards == nil {
		s.shards = make(map[int]struct{}, len(shards))
	}
	for _, shard := range shards {
		s.shards[shard] = struct{}{}
	}
}

// payload is the NOTIFY payload of s.
func (s shardSet) payload() string {
	if s.all {
		return ""
	}
	list := make([]int, 0, len(s.shards))
	for shard := range s.shards {
		list = append(list, shard)
	}
	slices.Sort(list)
	parts := make([]string, len(list))
	for i, shard := range list {
		parts[i] = strconv.Itoa(shard)
	}
	return strings.Join(parts, ",")
}

// parseShards reads a NOTIFY payload; nil means every shard (an empty or
// unreadable payload: a writer of another version, or a hand-sent NOTIFY).
func parseShards(payload string) []int {
	if payload == "" {
		return nil
	}
	var shards []int
	for part := range strings.SplitSeq(payload, ",") {
		shard, err := strconv.Atoi(part)
		if err != nil || shard < 0 {
			return nil
		}
		shards = append(shards, shard)
	}
	return shards
}
