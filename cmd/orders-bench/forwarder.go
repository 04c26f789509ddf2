package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// forwarderRow is one backlog size of the forwarder's own benchmark.
type forwarderRow struct {
	Backlog     int
	Ours, Stock float64 // events/s
}

// forwarderResult is the output of cmd/outbox-bench, run as it is: ours
// beside the stock Watermill forwarder configuration, in one run.
type forwarderResult struct {
	Args   []string
	Rows   []forwarderRow
	Output string
}

var forwarderLine = regexp.MustCompile(`^backlog\s+(\d+)\s+(ours|stock)\s+([0-9.]+)/s`)

// measureForwarder runs the forwarder benchmark and reads its drain lines. It
// runs inside this benchmark's lock, so it takes none itself.
func measureForwarder(ctx context.Context, e *environment, args []string, log io.Writer) (*forwarderResult, error) {
	if args == nil {
		args = defaultForwarderArgs(ctx, e.forwarderBin)
	}
	fmt.Fprintf(log, "forwarder: cmd/outbox-bench %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, e.forwarderBin, args...)
	cmd.Dir = moduleRoot()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	res := &forwarderResult{Args: args}
	var all strings.Builder
	rows := map[int]*forwarderRow{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(log, "  | "+line)
		all.WriteString(line + "\n")
		if m := forwarderLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			rate, _ := strconv.ParseFloat(m[3], 64)
			r := rows[n]
			if r == nil {
				r = &forwarderRow{Backlog: n}
				rows[n] = r
			}
			if m[2] == "ours" {
				r.Ours = rate
			} else {
				r.Stock = rate
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("cmd/outbox-bench: %w\n%s", err, all.String())
	}
	res.Output = all.String()
	for _, n := range slices.Sorted(maps.Keys(rows)) {
		res.Rows = append(res.Rows, *rows[n])
	}
	if len(res.Rows) == 0 {
		return res, fmt.Errorf("cmd/outbox-bench printed no drain line (its output format changed?):\n%s", res.Output)
	}
	return res, nil
}

// defaultForwarderArgs drains 10,000 and 100,000 backlogs. The forwarder's
// benchmark also measures latency, the write path and idle CPU, which this
// benchmark measures on the whole service: where it can, it is asked for
// the drain only, else its latency runs are kept short.
func defaultForwarderArgs(ctx context.Context, bin string) []string {
	args := []string{"-backlogs", "10000,100000"}
	help, _ := exec.CommandContext(ctx, bin, "-h").CombinedOutput()
	if strings.Contains(string(help), "-phases") {
		return append(args, "-phases", "drain")
	}
	return append(args, "-latency-seconds", "5")
}
