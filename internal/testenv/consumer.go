package testenv

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/platform/contracts/orderevents"
)

// RunConsumer runs c until the test ends and returns once it is
// subscribed.
func RunConsumer(t testing.TB, c *service.Consumer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("consumer: %v", err)
		}
	})
	select {
	case <-c.Running():
	case err := <-done:
		t.Fatalf("consumer stopped: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("consumer not running after 60s")
	}
}

// OrderEvent returns the message of an order event, with a new event ID,
// as the order service publishes it.
func OrderEvent(t testing.TB, orderID string, version int, e orderevents.Event) *message.Message {
	t.Helper()
	env, err := orderevents.Encode(uuid.NewString(), orderID, version, time.Now().UTC(), e)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := env.Message()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// WaitFor polls cond until it holds, or fails the test after timeout with
// the last state cond reported.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last state: %s", timeout, what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
