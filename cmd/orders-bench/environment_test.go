package main

import (
	"context"
	"testing"
	"time"
)

// TestReleaseDropsWhatTheRunCreatedSoFar: the databases of ended phases
// are gone after release, the run can still create more, and close drops
// those too.
func TestReleaseDropsWhatTheRunCreatedSoFar(t *testing.T) {
	ctx, e := newTestEnvironment(t)
	exists := func(db database) bool {
		t.Helper()
		var n int
		if err := e.admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, db.name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	earlier, err := e.newDatabase(ctx, "release")
	if err != nil {
		t.Fatal(err)
	}
	e.release()
	if exists(earlier) {
		t.Errorf("database %s of an ended phase still exists after release", earlier.name)
	}
	later, err := e.newDatabase(ctx, "release")
	if err != nil {
		t.Fatalf("a database after release: %v", err)
	}
	if !exists(later) {
		t.Fatalf("database %s not created", later.name)
	}
	e.release()
	if exists(later) {
		t.Errorf("database %s still exists after the second release", later.name)
	}
	e.close()
	if err := e.admin.PingContext(ctx); err == nil {
		t.Error("the admin connection is still open after close")
	}
}

// newTestEnvironment is a run's environment on the local services, with a
// context that ends with the test; the test closes the environment.
func newTestEnvironment(t *testing.T) (context.Context, *environment) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	e, err := newEnvironment(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ctx, e
}
