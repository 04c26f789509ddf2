package systemtest

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// maxInfoLines bounds the INFO lines of `orders all` from start to a clean
// stop, an order handled in between: the start-up summary is one line per
// role (the order API, inventory, payment, the saga and the forwarder of each
// of the three outboxes: 7), and nothing per message. 12 leaves room for a
// line or two more per process (a metrics or health listener, tracing on,
// a shutdown summary) and is far below the 190 INFO lines that the same run
// logged before, most of them Watermill's (its routers, subscribers and
// forwarders, one line per handler per shard, at start and at stop).
const maxInfoLines = 12

// TestOrdersAllLogsASummaryAndStopsWithoutErrors runs `orders all` as a
// process, places an order, and stops it with SIGTERM: every line is JSON,
// none is an ERROR (a cancelled query at shutdown is no error), and the
// INFO lines are a short summary.
func TestOrdersAllLogsASummaryAndStopsWithoutErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ownDatabases)
	db, all, apiAddr, inventoryAddr := h.startAllAsRoles("METRICS_ADDR="+testenv.FreeAddr(t), "LOG_FORMAT=json", "LOG_LEVEL=info")
	h.setStock(inventoryAddr, "BOOK", 5)
	id, err := h.placeOrder(context.Background(), apiAddr, []item{{SKU: "BOOK", Quantity: 1, UnitPrice: 1299}})
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitOrdersEnded(t, db, []string{id}, 90*time.Second)

	if err := all.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-all.Exited:
	case <-time.After(90 * time.Second):
		t.Fatal("orders all did not stop within 90 s of SIGTERM")
	}
	if code := all.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("orders all exited with status %d after SIGTERM, want 0", code)
	}

	var infos, errs []string
	for line := range strings.Lines(all.Log.String()) {
		var entry struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("not a JSON line: %q", line)
			continue
		}
		switch entry.Level {
		case "INFO":
			infos = append(infos, entry.Msg)
		case "ERROR":
			errs = append(errs, line)
		}
	}
	if len(errs) > 0 {
		t.Errorf("%d ERROR lines from a clean run and stop:\n%s", len(errs), strings.Join(errs, ""))
	}
	if len(infos) > maxInfoLines {
		t.Errorf("%d INFO lines, want at most %d:\n%s", len(infos), maxInfoLines, strings.Join(infos, "\n"))
	}
	t.Logf("%d INFO lines:\n%s", len(infos), strings.Join(infos, "\n"))
}
