package systemtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// afterRun runs once every test ended, with the exit code, and returns
// the code to exit with: the chaos scenarios' table replaces it
// (report_test.go, chaos tag).
var afterRun = func(code int) int { return code }

// TestMain removes the orders binary the tests shared once they ended.
func TestMain(m *testing.M) {
	code := afterRun(m.Run())
	if orders.dir != "" {
		_ = os.RemoveAll(orders.dir)
	}
	os.Exit(code)
}

// orders is the orders binary, built once for every scenario of the run:
// a build per test cost a link of several seconds each.
var orders struct {
	once sync.Once
	dir  string
	path string
	out  []byte
	err  error
}

// ordersBinary builds the orders binary on first use and returns its path.
func ordersBinary(t testing.TB) string {
	t.Helper()
	orders.once.Do(func() {
		if orders.dir, orders.err = os.MkdirTemp("", "systemtest-orders-"); orders.err != nil {
			return
		}
		orders.path = filepath.Join(orders.dir, "orders")
		build := exec.Command("go", "build", "-o", orders.path, "github.com/orderflow/orders/cmd/orders") //nolint:noctx // waited for
		orders.out, orders.err = build.CombinedOutput()
	})
	if orders.err != nil {
		t.Fatalf("go build ./cmd/orders: %v\n%s", orders.err, orders.out)
	}
	return orders.path
}
