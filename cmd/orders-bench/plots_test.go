package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWritePathPlotOfOneClientCount: a run with one client count
// (-clients 1) draws its write-path plot; the log scale once made it panic.
func TestWritePathPlotOfOneClientCount(t *testing.T) {
	r := &results{WritePath: &writePathResult{Steps: []writeStep{{Clients: 1, Service: 500, NoOutbox: 700, Pgbench: 900}}}}
	file := filepath.Join(t.TempDir(), "write-path.png")
	if err := r.plotWritePath(file); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(file); err != nil || st.Size() == 0 {
		t.Fatalf("no plot: %v", err)
	}
}
