package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// TestConsumerCommandsServeMetrics starts `orders saga` (this test binary,
// see TestMain) and reads its METRICS_ADDR: the saga's lag is there for
// every partition of the two topics it consumes.
func TestConsumerCommandsServeMetrics(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	inventoryTopic, paymentsTopic := testenv.Topic(t, brokers, 2), testenv.Topic(t, brokers, 2)
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()

	testenv.DeleteTopicsWhenDone(t, brokers, inventoryTopic+".orders", inventoryTopic+".dlq")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], "saga")
	cmd.Env = append(os.Environ(), "ORDERS_TEST_RUN_MAIN=1", "DATABASE_URL="+dbURL, "KAFKA_BROKERS="+strings.Join(brokers, ","),
		"METRICS_ADDR="+addr, "LOG_LEVEL=warn", "INVENTORY_TOPIC="+inventoryTopic, "PAYMENTS_TOPIC="+paymentsTopic,
		"ORDERS_TOPIC="+inventoryTopic+".orders", "SAGA_DEAD_LETTER_TOPIC="+inventoryTopic+".dlq", "SAGA_CONSUMER_GROUP="+inventoryTopic+".saga")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		err := cmd.Wait() // the output is complete only now
		if err != nil && ctx.Err() == nil || t.Failed() {
			t.Errorf("orders saga: %v\n%s", err, out.String())
		}
	})

	var want []string
	for _, topic := range []string{inventoryTopic, paymentsTopic} {
		for _, p := range []string{"0", "1"} {
			want = append(want, `orders_consumer_lag_messages{consumer="order-saga",group="`+inventoryTopic+`.saga",partition="`+p+`",topic="`+topic+`"} 0`)
		}
	}
	testenv.WaitFor(t, 60*time.Second, "the saga's lag on its /metrics", func() (bool, string) {
		body, err := get(ctx, "http://"+addr+"/metrics")
		if err != nil {
			return false, err.Error()
		}
		for _, line := range want {
			if !strings.Contains(body, line) {
				return false, "missing " + line
			}
		}
		return true, ""
	})
}

func get(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
