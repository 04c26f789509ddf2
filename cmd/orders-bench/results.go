package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// results are everything one run measured.
type results struct {
	Started   time.Time
	Elapsed   time.Duration
	Options   options
	Machine   machine
	WritePath *writePathResult
	Drain     *drainResult
	Forwarder *forwarderResult
	EndToEnd  []*e2eResult // the API and forwarder alone, then with the consumers
	Shards    []*e2eResult // the API and forwarder alone, per orders-outbox shard count
	// Downstream is the `make run` topology: burst and sustained rates.
	Downstream *downstreamResult
}

// save writes results.json and the plots.
func (r *results) save(dir, imgDir string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o600); err != nil {
		return err
	}
	for _, d := range []string{dir, imgDir} {
		if d == "" {
			continue
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := r.plot(d); err != nil {
			return fmt.Errorf("plots: %w", err)
		}
	}
	return nil
}
