package testenv

import (
	"context"
	"testing"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/adapters/kafka"
)

// JoinGroup makes a member of the consumer group that consumes topic and
// holds its partitions, reading nothing, until ctx ends.
func JoinGroup(ctx context.Context, t testing.TB, brokers []string, group, topic string) {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	cg, err := sarama.NewConsumerGroup(brokers, group, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_ = cg.Consume(ctx, []string{topic}, holdClaims{})
		}
	}()
	t.Cleanup(func() { <-done; _ = cg.Close() })
}

type holdClaims struct{}

func (holdClaims) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (holdClaims) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (holdClaims) ConsumeClaim(s sarama.ConsumerGroupSession, _ sarama.ConsumerGroupClaim) error {
	<-s.Context().Done()
	return nil
}
