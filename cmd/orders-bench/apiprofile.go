package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profileAPI records a CPU profile of the API (started with PPROF_ADDR)
// while clients place orders for o.Step, after the measured
// rounds so that the profiler's own cost stays out of them. The profile
// says where the API's CPU per order goes (docs/benchmarks.md); it is
// written to dir as api-<clients>-clients.cpu.pprof, beside the binary
// `go tool pprof` needs.
func profileAPI(ctx context.Context, a *api, clients int, o options, dir string) (string, error) {
	p := newPlacer(a.base, clients)
	defer p.close()
	seconds := max(1, int(o.Step.Seconds()))
	loadCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan loadResult, 1)
	// The load outlasts the profile a little on both sides.
	go func() { done <- closedLoop(loadCtx, p, clients, time.Duration(seconds+2)*time.Second) }()
	time.Sleep(time.Second)
	path := filepath.Join(dir, fmt.Sprintf("api-%d-clients.cpu.pprof", clients))
	if err := fetchCPUProfile(ctx, a.pprof, seconds, path); err != nil {
		return "", fmt.Errorf("API CPU profile: %w", err)
	}
	if r := <-done; r.Orders == 0 {
		return "", fmt.Errorf("placed no order while profiling the API: %s", r.FirstErr)
	}
	return path, nil
}

// fetchCPUProfile records a CPU profile of seconds from the process whose
// net/http/pprof listens at pprofBase (PPROF_ADDR) into path.
func fetchCPUProfile(ctx context.Context, pprofBase string, seconds int, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", pprofBase, seconds), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
