package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/domain/order"
)

// lagMeter reads the consumer groups' lag from Kafka's offsets: for every
// partition of the topics a group reads, the high-water mark less the
// group's committed offset (none committed counts as 0, since the
// consumers start from the oldest record).
type lagMeter struct {
	admin  sarama.ClusterAdmin
	client sarama.Client
	groups []string
	topics map[string][]string // by group: what its members are assigned
}

func newLagMeter(e *environment, groups []string) (*lagMeter, error) {
	admin, err := e.clusterAdmin()
	if err != nil {
		return nil, err
	}
	client, err := newKafkaClient(e.brokers)
	if err != nil {
		_ = admin.Close()
		return nil, err
	}
	return &lagMeter{admin: admin, client: client, groups: groups, topics: map[string][]string{}}, nil
}

func (m *lagMeter) close() {
	_ = m.admin.Close()
	_ = m.client.Close()
}

// groupLag is one consumer group's lag in records.
type groupLag struct {
	Group string
	Lag   int64
}

// lags returns each group's lag now.
func (m *lagMeter) lags() ([]groupLag, error) {
	request := map[string]map[string][]int32{}
	for _, g := range m.groups {
		request[g] = nil // every partition the group committed
	}
	committed, err := m.admin.ListConsumerGroupOffsetsBatch(request)
	if err != nil {
		return nil, fmt.Errorf("committed offsets: %w", err)
	}
	out := make([]groupLag, 0, len(m.groups))
	for _, g := range m.groups {
		topics, err := m.topicsOf(g, committed[g])
		if err != nil {
			return nil, err
		}
		var lag int64
		for _, topic := range topics {
			parts, err := m.client.Partitions(topic)
			if err != nil {
				return nil, fmt.Errorf("partitions of %s: %w", topic, err)
			}
			for _, p := range parts {
				hwm, err := m.client.GetOffset(topic, p, sarama.OffsetNewest)
				if err != nil {
					return nil, fmt.Errorf("high-water mark of %s/%d: %w", topic, p, err)
				}
				var offset int64
				if c := committed[g]; c != nil {
					if b := c.Blocks[topic][p]; b != nil && b.Offset > 0 {
						offset = b.Offset
					}
				}
				lag += max(0, hwm-offset)
			}
		}
		out = append(out, groupLag{Group: g, Lag: lag})
	}
	return out, nil
}

// topicsOf is what group reads: the topics its members are assigned,
// learnt once they are, and those it has committed offsets of.
func (m *lagMeter) topicsOf(group string, committed *sarama.OffsetFetchResponseGroup) ([]string, error) {
	if len(m.topics[group]) == 0 {
		desc, err := m.admin.DescribeConsumerGroups([]string{group})
		if err != nil {
			return nil, fmt.Errorf("describe group %s: %w", group, err)
		}
		var topics []string
		for _, d := range desc {
			for _, member := range d.Members {
				if a, err := member.GetMemberAssignment(); err == nil && a != nil {
					for t := range a.Topics {
						topics = append(topics, t)
					}
				}
			}
		}
		m.topics[group] = topics
	}
	topics := slices.Clone(m.topics[group])
	if committed != nil {
		for t := range committed.Blocks {
			topics = append(topics, t)
		}
	}
	slices.Sort(topics)
	return slices.Compact(topics), nil
}

func totalLag(lags []groupLag) int64 {
	var n int64
	for _, l := range lags {
		n += l.Lag
	}
	return n
}

// settling is how the pipeline caught up after the last placement.
type settling struct {
	// AllEnded runs from the last placement's 201 until no order was left
	// that had neither been confirmed nor cancelled; LagZero until, besides,
	// every consumer group's lag was 0 (committed offsets: the consumers
	// commit once a second). Both are -1 when that did not happen within
	// the timeout.
	AllEnded, LagZero time.Duration
	NotEnded          int        // orders still not ended then
	AtLastPlacement   []groupLag // each group's lag at the last placement
	LagLeft           []groupLag // each group's lag at the end of the wait
}

// settle polls every 100 ms (every second while more than 200 orders are
// still open), from the moment from, until every order in
// the database has ended and no consumer group lags, or timeout. atEnded
// runs once, when the last order has ended.
func settle(ctx context.Context, db *sql.DB, m *lagMeter, from time.Time, timeout time.Duration, atEnded func()) (settling, error) {
	s := settling{AllEnded: -1, LagZero: -1}
	deadline := from.Add(timeout)
	for first := true; ; first = false {
		var notEnded int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM orders WHERE status NOT IN ($1, $2)`,
			string(order.StatusConfirmed), string(order.StatusCancelled)).Scan(&notEnded); err != nil {
			return s, err
		}
		s.NotEnded = notEnded
		if notEnded == 0 && s.AllEnded < 0 {
			s.AllEnded = time.Since(from)
			if atEnded != nil {
				atEnded()
			}
		}
		// The lag matters once every order has ended; in between it is
		// not read, so as not to load the broker being measured.
		if first || s.AllEnded >= 0 || time.Now().After(deadline) {
			lags, err := m.lags()
			if err != nil {
				return s, err
			}
			if first {
				s.AtLastPlacement = lags
			}
			s.LagLeft = lags
			if s.AllEnded >= 0 && totalLag(lags) == 0 {
				s.LagZero = time.Since(from)
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			return s, nil
		}
		if err := ctx.Err(); err != nil {
			return s, err
		}
		// The count scans the orders table, a visible share of
		// PostgreSQL's statement time when polled every 100 ms
		// (docs/benchmarks.md, step 5): poll often only near the end,
		// where the moment matters.
		if notEnded > 200 {
			time.Sleep(time.Second)
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
}
