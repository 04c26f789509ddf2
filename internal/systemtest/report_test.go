//go:build chaos

package systemtest

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

var (
	resultsMu sync.Mutex
	results   []outcome
)

// report keeps a scenario's outcome for the table printed at the end.
func report(o outcome) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	results = append(results, o)
}

// The table of every scenario that ran is printed once the tests ended
// and, with CHAOS_REPORT set to a Markdown file, written between that
// file's markers (docs/reliability.md).
func init() {
	afterRun = func(code int) int {
		if len(results) == 0 {
			return code
		}
		tables := render(results)
		fmt.Println(tables)
		if path := os.Getenv("CHAOS_REPORT"); path != "" {
			if err := writeReport(path, tables, code == 0); err != nil {
				fmt.Fprintln(os.Stderr, "chaos report:", err)
				return 1
			}
		}
		return code
	}
}

func render(rs []outcome) string {
	var b strings.Builder
	b.WriteString("| scenario | result | orders 201 / failed | stored without 201 | events | Kafka records orders, inventory, payments (distinct/dup) | " +
		"effects inventory, payment, gateway, saga (distinct/dup) | lost | double effects | ordering violations | not ended | " +
		"stock eq. | payment eq. | unplanned exits | slowest recovery | took |\n")
	b.WriteString("|" + strings.Repeat("---|", 16) + "\n")
	for _, o := range rs {
		slowest := time.Duration(0)
		for _, r := range o.recoveries {
			slowest = max(slowest, r.took)
		}
		result := "pass"
		if !o.passed {
			result = "FAIL"
		}
		fmt.Fprintf(&b, "| %s | %s | %d / %d | %d | %d | %s | %s | %d | %d | %d | %d | %s | %s | %d | %s | %s |\n",
			o.scenario, result, o.acked, o.failed, o.storedUnacked, o.events,
			pairsOf(o.kafka, "orders", "inventory", "payments"), pairsOf(o.effects, "inventory", "payment", "gateway", "saga"),
			o.lost, o.doubles, o.misordered, o.notEnded,
			holds(o.stockOff == 0, fmt.Sprintf("%d SKUs off", o.stockOff)), holds(o.paymentOff == 0, fmt.Sprintf("off by %d", o.paymentOff)),
			len(o.exits), slowest.Round(100*time.Millisecond), o.took.Round(time.Second))
	}
	b.WriteString("\nRecovery: from the end of each fault until every order acknowledged before that moment was confirmed or cancelled.\n\n")
	b.WriteString("| scenario | fault | recovered after |\n|---|---|---|\n")
	for _, o := range rs {
		for _, r := range o.recoveries {
			took := r.took.Round(100 * time.Millisecond).String()
			if !r.done {
				took = "not within " + took
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", o.scenario, r.fault, took)
		}
	}
	return b.String()
}

func pairsOf(m map[string]tally, keys ...string) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d/%d", m[k].distinct, m[k].duplicate))
	}
	return strings.Join(parts, ", ")
}

func holds(ok bool, otherwise string) string {
	if ok {
		return "holds"
	}
	return otherwise
}

const (
	beginMarker = "<!-- chaos results: begin (written by internal/systemtest) -->"
	endMarker   = "<!-- chaos results: end -->"
)

// writeReport replaces what lies between the markers of path.
func writeReport(path, tables string, passed bool) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	begin, end := strings.Index(string(doc), beginMarker), strings.Index(string(doc), endMarker)
	if begin < 0 || end < begin {
		return fmt.Errorf("%s has no %q … %q", path, beginMarker, endMarker)
	}
	command := os.Getenv("CHAOS_COMMAND")
	if command == "" {
		command = "go test -tags chaos " + strings.Join(os.Args[1:], " ")
	}
	verdict := "every check at its target"
	if !passed {
		verdict = "**some checks failed** (the rows marked FAIL)"
	}
	section := fmt.Sprintf("%s\nCommand: `%s`. Date: %s. Commit: %s. Machine: %d CPUs (%s/%s). Outcome: %s.\n\n%s%s",
		beginMarker, command, time.Now().UTC().Format("2006-01-02 15:04 MST"), commit(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH,
		verdict, tables, endMarker)
	out := string(doc[:begin]) + section + string(doc[end+len(endMarker):])
	return os.WriteFile(path, []byte(out), 0o644) //nolint:gosec // a document of the repository
}

// commit names the commit the run was built from.
func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output() //nolint:noctx // short
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(status) > 0 { //nolint:noctx // short
		c += " with uncommitted changes"
	}
	return c
}
