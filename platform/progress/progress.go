// Package progress reports how far long administrative work has come
// (count done of a total, rate, time left): on a terminal as one line
// redrawn in place, otherwise as log lines now and then.
//
// The work finds its Reporter in its context (From), so the functions
// that do it keep their signatures; without one, reporting is a no-op.
package progress

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Defaults: a terminal line is redrawn at most this often; a log line is
// written at most this often.
const (
	DefaultRedraw   = 200 * time.Millisecond
	DefaultLogEvery = 5 * time.Second
)

// Options say where a Reporter writes.
type Options struct {
	// Terminal, when set, receives a line redrawn with \r; otherwise the
	// Logger gets INFO lines.
	Terminal io.Writer
	Logger   *slog.Logger
	// Every is the least time between two reports; 0: DefaultRedraw on a
	// terminal, DefaultLogEvery in a log.
	Every time.Duration
	Now   func() time.Time // the clock; tests pass a fake one
}

// Reporter counts work done towards a total and reports it. A nil
// *Reporter does nothing, so work can report unconditionally.
type Reporter struct {
	task, unit string
	opts       Options

	mu          sync.Mutex
	total, done int64
	started     time.Time
	reported    time.Time // last report; zero before the first
	finished    bool
}

// New returns a Reporter of task (e.g. "rebuild-read-models") counting
// unit (e.g. "orders").
func New(task, unit string, opts Options) *Reporter {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Every <= 0 {
		opts.Every = DefaultLogEvery
		if opts.Terminal != nil {
			opts.Every = DefaultRedraw
		}
	}
	return &Reporter{task: task, unit: unit, opts: opts, started: opts.Now()}
}

// ForStderr returns a Reporter that redraws a line on stderr when it is a
// terminal and logs through logger otherwise.
func ForStderr(task, unit string, logger *slog.Logger) *Reporter {
	opts := Options{Logger: logger}
	if IsTerminal(os.Stderr) {
		opts.Terminal = os.Stderr
	}
	return New(task, unit, opts)
}

// IsTerminal says whether f is a character device (a terminal, not a
// file or a pipe).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Start sets the total and reports at once, so the operator sees the size
// of the work before the first step ends.
func (r *Reporter) Start(total int64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total, r.done, r.started = total, 0, r.opts.Now()
	r.report(r.started)
}

// Add counts n more units done and reports when the last report is old
// enough.
func (r *Reporter) Add(n int64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done += n
	if now := r.opts.Now(); now.Sub(r.reported) >= r.opts.Every {
		r.report(now)
	}
}

// Finish reports the final count of work that succeeded, ending the
// terminal line; Stop does so for work that failed. Only the first of
// them reports.
func (r *Reporter) Finish() { r.end("finished") }

// Stop reports how far failed work came; see Finish.
func (r *Reporter) Stop() { r.end("stopped") }

func (r *Reporter) end(how string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.finished = true
	now := r.opts.Now()
	if r.opts.Terminal != nil {
		_, _ = fmt.Fprintf(r.opts.Terminal, "\r%s, %s after %s\x1b[K\n", r.line(now), how, now.Sub(r.started).Round(time.Millisecond))
		return
	}
	r.opts.Logger.Info(r.task+" "+how, "done", r.done, "total", r.total, "unit", r.unit,
		"duration", now.Sub(r.started).Round(time.Millisecond))
}

// report writes the current state; r.mu is held.
func (r *Reporter) report(now time.Time) {
	r.reported = now
	if r.opts.Terminal != nil {
		_, _ = fmt.Fprintf(r.opts.Terminal, "\r%s\x1b[K", r.line(now))
		return
	}
	rate, eta := r.rateAndETA(now)
	r.opts.Logger.Info(r.task+" progress", "done", r.done, "total", r.total, "unit", r.unit,
		"per_second", roundRate(rate), "eta", eta)
}

// line is the terminal's text, e.g.
// "rebuild-read-models: 1200/5000 orders (24%), 350.0/s, ETA 11s".
func (r *Reporter) line(now time.Time) string {
	rate, eta := r.rateAndETA(now)
	percent := 100.0
	if r.total > 0 {
		percent = 100 * float64(r.done) / float64(r.total)
	}
	s := fmt.Sprintf("%s: %d/%d %s (%.0f%%), %.1f/s", r.task, r.done, r.total, r.unit, percent, roundRate(rate))
	if r.finished {
		return s
	}
	return s + ", ETA " + eta
}

// rateAndETA: units per second since Start, and the time left at that
// rate ("?" until a unit is done).
func (r *Reporter) rateAndETA(now time.Time) (float64, string) {
	elapsed := now.Sub(r.started).Seconds()
	if r.done <= 0 || elapsed <= 0 {
		return 0, "?"
	}
	rate := float64(r.done) / elapsed
	left := time.Duration(float64(max(r.total-r.done, 0)) / rate * float64(time.Second))
	return rate, left.Round(time.Second).String()
}

func roundRate(rate float64) float64 { return float64(int64(rate*10+0.5)) / 10 }

type contextKey struct{}

// NewContext returns ctx carrying r, for the work it is passed to.
func NewContext(ctx context.Context, r *Reporter) context.Context {
	return context.WithValue(ctx, contextKey{}, r)
}

// From returns the Reporter ctx carries, or nil (which does nothing).
func From(ctx context.Context) *Reporter {
	r, _ := ctx.Value(contextKey{}).(*Reporter)
	return r
}
