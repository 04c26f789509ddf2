package progress_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/platform/progress"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }
func newClock() *fakeClock                   { return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func logTo(buf *bytes.Buffer) *slog.Logger   { return slog.New(slog.NewJSONHandler(buf, nil)) }
func lines(s string) []string                { return strings.Split(strings.TrimSpace(s), "\n") }
func decode(t *testing.T, line string) (m map[string]any) {
	t.Helper()
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("log line %q: %v", line, err)
	}
	return m
}

func TestLogModeReportsAtStartEveryIntervalAndAtTheEnd(t *testing.T) {
	clock, out := newClock(), &bytes.Buffer{}
	r := progress.New("rebuild-read-models", "orders", progress.Options{Logger: logTo(out), Every: 5 * time.Second, Now: clock.Now})
	r.Start(1000)
	for range 4 { // 4 s: no line yet
		clock.advance(time.Second)
		r.Add(100)
	}
	clock.advance(time.Second) // 5 s after the start line
	r.Add(100)
	clock.advance(time.Second)
	r.Add(100) // 1 s after the last line: none
	clock.advance(4 * time.Second)
	r.Add(400)
	r.Finish()
	r.Stop() // the first end only

	got := lines(out.String())
	if len(got) != 4 {
		t.Fatalf("want 4 log lines (start, 5 s, 10 s, finished), got %d:\n%s", len(got), out.String())
	}
	first, second, last := decode(t, got[0]), decode(t, got[1]), decode(t, got[3])
	if first["msg"] != "rebuild-read-models progress" || first["done"] != 0.0 || first["total"] != 1000.0 || first["eta"] != "?" {
		t.Errorf("start line: %v", first)
	}
	// 500 orders in 5 s: 100/s, 500 left: 5 s.
	if second["done"] != 500.0 || second["total"] != 1000.0 || second["per_second"] != 100.0 || second["eta"] != "5s" || second["unit"] != "orders" {
		t.Errorf("5 s line: %v", second)
	}
	if last["msg"] != "rebuild-read-models finished" || last["done"] != 1000.0 || last["total"] != 1000.0 || last["duration"] != float64(10*time.Second) {
		t.Errorf("finished line: %v", last)
	}
}

func TestTerminalModeRedrawsOneLineAtMostEveryInterval(t *testing.T) {
	clock, term, log := newClock(), &bytes.Buffer{}, &bytes.Buffer{}
	r := progress.New("outbox repair", "shards", progress.Options{Terminal: term, Logger: logTo(log), Now: clock.Now})
	r.Start(8)
	for range 8 {
		clock.advance(50 * time.Millisecond)
		r.Add(1)
	}
	r.Finish()

	if log.Len() != 0 {
		t.Errorf("a terminal reporter logged:\n%s", log.String())
	}
	s := term.String()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("want one line ended once, at Finish: %q", s)
	}
	// Start, then 200 ms (4 steps) and 400 ms (8 steps) later, then Finish.
	draws := strings.Split(strings.TrimPrefix(strings.TrimSuffix(s, "\n"), "\r"), "\r")
	want := []string{
		"outbox repair: 0/8 shards (0%), 0.0/s, ETA ?\x1b[K",
		"outbox repair: 4/8 shards (50%), 20.0/s, ETA 0s\x1b[K",
		"outbox repair: 8/8 shards (100%), 20.0/s, ETA 0s\x1b[K",
		"outbox repair: 8/8 shards (100%), 20.0/s, finished after 400ms\x1b[K",
	}
	if strings.Join(draws, "|") != strings.Join(want, "|") {
		t.Errorf("redraws:\n got %q\nwant %q", draws, want)
	}
}

func TestNilReporterAndContextWithoutOneDoNothing(t *testing.T) {
	r := progress.From(context.Background())
	if r != nil {
		t.Fatalf("From an empty context: %v", r)
	}
	r.Start(3)
	r.Add(1)
	r.Finish()

	want := progress.New("x", "y", progress.Options{Logger: logTo(&bytes.Buffer{})})
	if got := progress.From(progress.NewContext(context.Background(), want)); got != want {
		t.Errorf("From(NewContext(r)) = %p, want %p", got, want)
	}
}

func TestStopReportsHowFarFailedWorkCame(t *testing.T) {
	clock, out := newClock(), &bytes.Buffer{}
	r := progress.New("outbox reshard", "shards", progress.Options{Logger: logTo(out), Now: clock.Now})
	r.Start(12)
	clock.advance(time.Second)
	r.Add(3)
	r.Stop()
	r.Finish() // after Stop: nothing

	got := lines(out.String())
	if len(got) != 2 {
		t.Fatalf("want a start and a stopped line, got:\n%s", out.String())
	}
	if last := decode(t, got[1]); last["msg"] != "outbox reshard stopped" || last["done"] != 3.0 || last["total"] != 12.0 {
		t.Errorf("stopped line: %v", last)
	}
}
