package main

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/orderflow/orders/internal/testenv"
)

// TestDeprecatedSettingNamesStillWorkAndWarn sets each renamed setting by
// its old name only: the value is used, and one WARN at start names the
// new name. The new name, when set, wins without a warning.
func TestDeprecatedSettingNamesStillWorkAndWarn(t *testing.T) {
	for _, c := range []struct {
		old, name, value string
		got              func(Config) string
	}{
		{"INVENTORY_DLQ_TOPIC", "INVENTORY_DEAD_LETTER_TOPIC", "inv.old", func(c Config) string { return c.Topics.InventoryDeadLetter }},
		{"PAYMENT_DLQ_TOPIC", "PAYMENT_DEAD_LETTER_TOPIC", "pay.old", func(c Config) string { return c.Topics.PaymentDeadLetter }},
		{"SAGA_DLQ_TOPIC", "SAGA_DEAD_LETTER_TOPIC", "saga.old", func(c Config) string { return c.Topics.SagaDeadLetter }},
		{"DLQ_TOPIC_PARTITIONS", "DEAD_LETTER_TOPIC_PARTITIONS", "3", func(c Config) string { return strconv.Itoa(int(c.Topics.DeadLetterPartitions)) }},
	} {
		cfg, err := configFrom(map[string]string{c.old: c.value})
		if err != nil {
			t.Fatalf("%s=%s: %v", c.old, c.value, err)
		}
		if got := c.got(cfg); got != c.value {
			t.Errorf("%s=%s: the setting is %q, want %q", c.old, c.value, got, c.value)
		}
		var log bytes.Buffer
		warnDeprecated(cfg, slog.New(slog.NewTextHandler(&log, nil)))
		if out := log.String(); strings.Count(out, "level=WARN") != 1 || !strings.Contains(out, c.old+" is deprecated") || !strings.Contains(out, "set "+c.name+" instead") {
			t.Errorf("%s: want one WARN naming %s, got:\n%s", c.old, c.name, out)
		}

		cfg, err = configFrom(map[string]string{c.old: "ignored", c.name: c.value})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.got(cfg); got != c.value || len(cfg.deprecated) != 0 {
			t.Errorf("%s and %s both set: %q with warnings %v, want %q (the new name's) and none", c.old, c.name, got, cfg.deprecated, c.value)
		}
	}
}

// TestTheDeprecatedForwardCommandRunsTheForwarderAndWarns runs `orders
// forward` (and an old setting name) as a process: it is `orders
// forwarder` (its pool check names it), and start-up says so at WARN.
func TestTheDeprecatedForwardCommandRunsTheForwarderAndWarns(t *testing.T) {
	if got := currentCommand("api", slog.New(slog.DiscardHandler)); got != "api" {
		t.Errorf("currentCommand(api) = %q", got)
	}
	_, dbURL := testenv.DBWithURL(t)
	out, code := runOrders(t, []string{"DATABASE_URL=" + dbURL, "DATABASE_MAX_CONNS=1", "SAGA_DLQ_TOPIC=saga.old", "LOG_FORMAT=text", "METRICS_ADDR=off"}, "forward")
	for _, want := range []string{
		"level=WARN msg=\"`orders forward` is deprecated and will be removed in the next release; run `orders forwarder` instead\"",
		`level=WARN msg="SAGA_DLQ_TOPIC is deprecated and will be removed in the next release; set SAGA_DEAD_LETTER_TOPIC instead"`,
		"`orders forwarder` needs at least",
	} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("orders forward on a pool of 1: exit %d, want 1 and %s in:\n%s", code, want, out)
		}
	}
}
