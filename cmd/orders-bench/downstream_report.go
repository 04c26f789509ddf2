package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// targets of issue 10.
const (
	targetBurstVsPlacement = 0.9 // end-to-end rate over the burst's placement rate
	moonshotBurstVsAPI     = 1.0 // end-to-end rate over the API alone's
	targetConfirmP99Low    = 100 * time.Millisecond
	targetConfirmP99Half   = 250 * time.Millisecond
	targetLagZero          = 2 * time.Second
	targetCPURatio         = 3.0 // CPU per confirmed order over CPU per placed order
)

// targets of issue 22: the downstream's own cost and capacity.
const (
	targetBurstRate            = 250.0 // confirmed end to end, orders/s
	targetCPURatioDownstream   = 6.0
	targetStatementsPerOrder   = 25.0
	targetTransactionsPerOrder = 8.0
	targetSustained            = 200.0 // orders/s, placed → confirmed p99 ≤ targetCapacityP99
	targetConfirmP99Quiet      = 60 * time.Millisecond
)

func (r *results) printDownstream(w io.Writer) {
	d := r.Downstream
	if d == nil {
		return
	}
	b := d.Burst
	fmt.Fprintf(w, "## Downstream: orders all (the `make run` topology)\n\n")
	fmt.Fprintf(w, "Burst: %d orders from %d clients as fast as they could, every SKU stocked, no payment declined.\n\n", b.Orders, b.Clients)
	fmt.Fprintln(w, "| placed | failed | confirmed | cancelled | not ended | placing | placement rate | first placement → last end | end-to-end rate | / placement rate | / API alone | background load |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| %d | %d | %d | %d | %d | %s | %.0f/s | %s | %.0f/s | %.2f | %.2f (%.0f/s) | %.0f%% (steal %.0f%%) |\n\n",
		b.Placed, b.Errors, b.Confirmed, b.Cancelled, b.Settling.NotEnded, b.Placing.Round(time.Millisecond), b.PlacementRate,
		b.ToLastEnd.Round(time.Millisecond), b.EndToEndRate, b.VsPlacement, b.VsAPI, b.APIAloneRate, 100*b.Background, 100*b.Steal)
	if b.Errors > 0 {
		fmt.Fprintf(w, "first failed placement: %s\n\n", b.FirstError)
	}
	fmt.Fprintf(w, "after the last placement: every order ended %s later, no consumer lag %s later; lag then: %s\n\n",
		after(b.Settling.AllEnded), after(b.Settling.LagZero), lagList(b.Settling.AtLastPlacement))
	fmt.Fprintln(w, "CPU seconds per 1,000 confirmed orders, from the first placement until the last order ended (PostgreSQL: the whole server):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| process | burst |")
	fmt.Fprintln(w, "|---|---:|")
	for _, u := range b.CPU {
		fmt.Fprintf(w, "| %s | %.3f |\n", u.Name, u.Value)
	}
	fmt.Fprintf(w, "| **orders all + PostgreSQL + Kafka** | **%.3f** |\n", b.PipelineCPU)
	fmt.Fprintf(w, "| write path alone, per placed order (API + PostgreSQL, %d clients) | %.3f |\n", b.WritePathClients, b.WritePathCPU)
	fmt.Fprintf(w, "| ratio | %.1f× |\n\n", b.CPURatio)
	fmt.Fprintf(w, "the consumers' messages that ran in batches (two or more in one transaction), and the batches' mean size: %s\n\n", batchList(b.Batches))
	if b.Profile != "" {
		fmt.Fprintf(w, "where orders all's CPU goes in the burst's first %d s: `go tool pprof -top %s %s`\n\n", burstProfileSeconds, b.OrdersBinary, b.Profile)
	}
	r.printStatements(w)

	fmt.Fprintf(w, "Sustained, open loop, %s per rate. commit → confirmed: \"low\" from the API's 201 to the confirming transaction's start,\n", r.Options.Sustained)
	fmt.Fprintln(w, "\"estimate\" from the placing transaction's start to the confirming one's (order_events.recorded_at),")
	fmt.Fprintln(w, "\"high\" from the placing transaction's start to the OrderConfirmed record's append on Kafka (after the forwarder).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| rate | commit → confirmed | n | p50 | p90 | p99 | max |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|")
	rated := d.Sustained
	if d.Quiet != nil {
		rated = append([]*sustainedPhase{d.Quiet}, d.Sustained...)
	}
	for _, ph := range rated {
		for _, row := range []struct {
			name string
			d    distribution
		}{{"low", ph.ToConfirmed.Low}, {"estimate", ph.ToConfirmed.Estimate}, {"high", ph.ToConfirmed.High}} {
			fmt.Fprintf(w, "| %.0f/s | %s | %d | %s | %s | %s | %s |\n", ph.Rate, row.name, row.d.N, ms(row.d.P50), ms(row.d.P90), ms(row.d.P99), ms(row.d.Max))
		}
	}
	fmt.Fprintln(w)
	printLegs(w, rated)
	for _, ph := range rated {
		fmt.Fprintf(w, "at %.0f/s: %d placed (%d failed), %d confirmed, %d cancelled; after the last placement every order ended %s later, no consumer lag %s later (lag then: %s); "+
			"%.3f CPU s per 1,000 confirmed orders (orders all + PostgreSQL + Kafka); background load %.0f%%, most steal in a %s window %s; in batches: %s\n",
			ph.Rate, ph.Placed, ph.Errors, ph.Confirmed, ph.Cancelled, after(ph.Settling.AllEnded), after(ph.Settling.LagZero),
			lagList(ph.Settling.AtLastPlacement), ph.PipelineCPU, 100*ph.Background, latencyWindow, stealPeak(ph.Steal), batchList(ph.Batches))
		if ph.Settling.LagZero < 0 {
			fmt.Fprintf(w, "  not caught up within %s: %d orders not ended, lag left %s; the latencies cover the confirmed orders only\n",
				d.EndTimeout, ph.Settling.NotEnded, lagList(ph.Settling.LagLeft))
		}
	}
	fmt.Fprintf(w, "\npeak RSS: %s\n\n", rssList(d.PeakRSS))
	r.printCapacity(w)
	r.printOrderLimit(w)
}

// printLegs shows where each phase's placed → confirmed (the estimate)
// went, leg by leg (confirmLegs).
func printLegs(w io.Writer, phases []*sustainedPhase) {
	fmt.Fprintln(w, "Where placed → confirmed went (the estimate), leg by leg, p50 / p99: each leg runs from one transaction's start to the next one's;")
	fmt.Fprintln(w, "each but the charge is one message's hop (the transaction that wrote it, its forwarder, Kafka, the consumer); the charge is the payment gateway's call between the payment service's two transactions.")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| rate | %s |\n", strings.Join(confirmLegs, " | "))
	fmt.Fprintf(w, "|---:|%s\n", strings.Repeat("---:|", len(confirmLegs)))
	for _, ph := range phases {
		cells := make([]string, len(confirmLegs))
		for i := range cells {
			cells[i] = "—"
			if i < len(ph.Legs) && ph.Legs[i].Latency.N > 0 {
				cells[i] = ms(ph.Legs[i].Latency.P50) + " / " + ms(ph.Legs[i].Latency.P99)
			}
		}
		fmt.Fprintf(w, "| %.0f/s | %s |\n", ph.Rate, strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
}

func (r *results) printCapacity(w io.Writer) {
	c := r.Downstream.Capacity
	if c == nil {
		return
	}
	from := fmt.Sprintf("%.1f × the burst's end-to-end rate", capacityStart)
	if r.Options.CapacityFrom > 0 {
		from = "-capacity-from"
	}
	fmt.Fprintf(w, "Sustained capacity: step search for the highest open-loop rate whose every order ended confirmed with placed → confirmed p99 ≤ %s (estimate), %s per step, from %.0f/s (%s); each step after the last had caught up. The windows are the step's %s spans of placements: how many had their own p99 above %s, and the worst; and the window in which the hypervisor took the largest share of the machine's CPU for other guests (steal), a slowdown none of the measured processes shows. In batches: each consumer's share of its messages that ran in batches of two or more, and their mean size.\n\n",
		targetCapacityP99, c.Step, c.Start, from, latencyWindow, targetCapacityP99)
	fmt.Fprintln(w, "| step | rate | placed | failed | confirmed | p50 | p99 | windows over | worst window | most steal | every order ended after | no lag after | CPU s per 1,000 confirmed | in batches | background load | held |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
	for i, s := range c.Steps {
		ph, e := s.Phase, s.Phase.ToConfirmed.Estimate
		over, worst := windowsOver(ph.Windows, targetCapacityP99)
		fmt.Fprintf(w, "| %d | %.0f/s | %d | %d | %d | %s | %s | %d of %d | %s | %s | %s | %s | %.3f | %s | %.0f%% | %s |\n", i+1, ph.Rate, ph.Placed, ph.Errors, ph.Confirmed,
			ms(e.P50), ms(e.P99), over, len(ph.Windows), worst, stealPeak(ph.Steal), after(ph.Settling.AllEnded), after(ph.Settling.LagZero), ph.PipelineCPU, batchList(ph.Batches), 100*ph.Background, heldOrNot(s.Held))
	}
	fmt.Fprintf(w, "\nsustained capacity: **%.0f orders/s**", c.Capacity)
	if c.Stopped != "" {
		fmt.Fprintf(w, " (the search stopped early: %s)", c.Stopped)
	}
	fmt.Fprint(w, "\n\n")
}

// windowsOver counts the windows whose p99 is above bound, and describes
// the worst: its p99 and when its placements began.
func windowsOver(windows []windowP99, bound time.Duration) (int, string) {
	over, worst := 0, -1
	for i, w := range windows {
		if w.P99 > bound {
			over++
		}
		if worst < 0 || w.P99 > windows[worst].P99 {
			worst = i
		}
	}
	if worst < 0 {
		return 0, "–"
	}
	return over, fmt.Sprintf("%s at %s", ms(windows[worst].P99), windows[worst].From)
}

func (r *results) printOrderLimit(w io.Writer) {
	l := r.Downstream.Limit
	if l == nil {
		return
	}
	b := r.Downstream.Burst
	fmt.Fprintf(w, "The limit: pgbench running the business statements of one confirmed order, captured from the services' own code in this process "+
		"(the placement through the API's handler, then each message of the order handed to the inventory's, the payment service's and the saga's "+
		"consumers in turn, in memory instead of through the forwarders and Kafka): %d transactions between BEGIN and COMMIT as they ran and %d statement(s) "+
		"sent outside one (the gateway's ledger), %d statements in all, every UUID random per run and the two SKUs drawn from the catalogue; "+
		"without the forwarders' statements, the consumers' offsets or the read side. %d clients for %s, prepared statements (`%s`).\n\n",
		l.Transactions, l.Standalone, l.Statements, l.Clients, l.Duration, "confirmed-order.sql")
	fmt.Fprintln(w, "| pgbench, whole orders/s | background load | burst: confirmed end to end | ÷ pgbench | sustained capacity | ÷ pgbench |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|")
	capacity := "not measured"
	capacityRatio := ""
	if c := r.Downstream.Capacity; c != nil {
		capacity, capacityRatio = fmt.Sprintf("%.0f/s", c.Capacity), fmt.Sprintf("%.2f", ratio(c.Capacity, l.Rate))
	}
	fmt.Fprintf(w, "| %.0f/s | %.0f%% | %.0f/s | %.2f | %s | %s |\n\n", l.Rate, 100*l.Background, b.EndToEndRate, ratio(b.EndToEndRate, l.Rate), capacity, capacityRatio)
}

func (r *results) printStatements(w io.Writer) {
	s := r.Downstream.Statements
	if s.Missing != "" {
		fmt.Fprintf(w, "PostgreSQL during the burst: %s.\n\n", s.Missing)
		return
	}
	fmt.Fprintf(w, "PostgreSQL during the burst, the bench database: %.1f committed transactions, %.0f tuples returned and %.0f fetched per confirmed order;\n",
		s.CommitsPerOrder, s.TuplesReturnedPerOrder, s.TuplesFetchedPerOrder)
	fmt.Fprintf(w, "the whole server wrote %.1f KiB of WAL per confirmed order, %.2f full-page images among it, and began %d checkpoints meanwhile;\n",
		s.WALBytesPerOrder/1024, s.WALFullPagesPerOrder, s.Checkpoints)
	fmt.Fprintf(w, "%d statements took %s in all. The top %d by total execution time (pg_stat_statements):\n\n", s.Calls, s.TotalTime.Round(time.Millisecond), len(s.Top))
	fmt.Fprintln(w, "| statement | calls | total | share | mean | rows |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, st := range s.Top {
		fmt.Fprintf(w, "| `%s` | %d | %s | %.1f%% | %s | %d |\n", oneLine(st.Query, 100), st.Calls,
			st.Total.Round(time.Millisecond), 100*st.Share, ms(st.Mean), st.Rows)
	}
	fmt.Fprintln(w)
}

// downstreamTargets prints the section's rows of the targets table.
func (r *results) downstreamTargets(row func(target, measured, verdict string)) {
	d := r.Downstream
	if d == nil {
		return
	}
	b := d.Burst
	notEnded := func(n int) string {
		if n > 0 {
			return fmt.Sprintf("; %d not ended", n)
		}
		return ""
	}
	allEnded := b.Settling.NotEnded == 0
	row("burst: every order ended", fmt.Sprintf("%d confirmed, %d cancelled of %d placed%s", b.Confirmed, b.Cancelled, b.Placed, notEnded(b.Settling.NotEnded)), yes(allEnded))
	row(fmt.Sprintf("burst: end-to-end rate ≥ %.1f × placement rate", targetBurstVsPlacement),
		fmt.Sprintf("%.2f (%.0f vs %.0f/s)", b.VsPlacement, b.EndToEndRate, b.PlacementRate), yes(allEnded && b.VsPlacement >= targetBurstVsPlacement))
	row(fmt.Sprintf("burst, moonshot: end-to-end rate ≥ %.0f × the API alone", moonshotBurstVsAPI),
		fmt.Sprintf("%.2f (%.0f vs %.0f/s)", b.VsAPI, b.EndToEndRate, b.APIAloneRate), yes(allEnded && b.VsAPI >= moonshotBurstVsAPI))
	row(fmt.Sprintf("CPU per confirmed order ≤ %.0f× CPU per placed order (write path alone)", targetCPURatio),
		fmt.Sprintf("%.1f× (%.3f vs %.3f CPU s per 1,000)", b.CPURatio, b.PipelineCPU, b.WritePathCPU), yes(b.CPURatio > 0 && b.CPURatio <= targetCPURatio))
	r.downstreamCostTargets(row, allEnded)
	for i, ph := range d.Sustained {
		limit := targetConfirmP99Half
		if i == 0 {
			limit = targetConfirmP99Low
		}
		c := ph.ToConfirmed
		met := ph.Settling.NotEnded == 0 && c.Estimate.N > 0 && c.Estimate.P99 <= limit
		row(fmt.Sprintf("commit → confirmed p99 ≤ %s at %.0f/s", ms(limit), ph.Rate),
			fmt.Sprintf("%s (bounds %s … %s; most steal in a window %s)%s", ms(c.Estimate.P99), ms(c.Low.P99), ms(c.High.P99), stealPeak(ph.Steal), notEnded(ph.Settling.NotEnded)), yes(met))
		lagMet := ph.Settling.LagZero >= 0 && ph.Settling.LagZero <= targetLagZero
		row(fmt.Sprintf("consumer lag 0 within %s of the end at %.0f/s", targetLagZero, ph.Rate),
			fmt.Sprintf("after %s (every order ended after %s)", after(ph.Settling.LagZero), after(ph.Settling.AllEnded)), yes(lagMet))
	}
}

// downstreamCostTargets prints issue 22's rows: the burst's rate, and what
// a confirmed order costs.
func (r *results) downstreamCostTargets(row func(target, measured, verdict string), allEnded bool) {
	b, st := r.Downstream.Burst, r.Downstream.Statements
	row(fmt.Sprintf("burst: confirmed end to end ≥ %.0f/s", targetBurstRate),
		fmt.Sprintf("%.0f/s (steal %.0f%% of the machine)", b.EndToEndRate, 100*b.Steal), yes(allEnded && b.EndToEndRate >= targetBurstRate))
	row(fmt.Sprintf("CPU per confirmed order ≤ %.0f× CPU per placed order", targetCPURatioDownstream),
		fmt.Sprintf("%.1f×", b.CPURatio), yes(b.CPURatio > 0 && b.CPURatio <= targetCPURatioDownstream))
	if st == nil || st.Missing != "" || b.Confirmed == 0 {
		row(fmt.Sprintf("burst: ≤ %.0f statements and ≤ %.0f transactions per confirmed order", targetStatementsPerOrder, targetTransactionsPerOrder),
			"not measured (pg_stat_statements)", "**no**")
	} else {
		statements := float64(st.Calls) / float64(b.Confirmed)
		row(fmt.Sprintf("burst: ≤ %.0f statements per confirmed order", targetStatementsPerOrder),
			fmt.Sprintf("%.1f", statements), yes(statements <= targetStatementsPerOrder))
		row(fmt.Sprintf("burst: ≤ %.0f committed transactions per confirmed order", targetTransactionsPerOrder),
			fmt.Sprintf("%.1f", st.CommitsPerOrder), yes(st.CommitsPerOrder > 0 && st.CommitsPerOrder <= targetTransactionsPerOrder))
	}
	r.downstreamCapacityTargets(row)
}

// downstreamCapacityTargets prints issue 22's rows on capacity and
// latency: the sustained rate, 10/s, and the ratio to pgbench.
func (r *results) downstreamCapacityTargets(row func(target, measured, verdict string)) {
	d := r.Downstream
	target := fmt.Sprintf("sustained ≥ %.0f orders/s at placed → confirmed p99 ≤ %s (step search)", targetSustained, targetCapacityP99)
	if c := d.Capacity; c == nil {
		row(target, "not run", "**no**")
	} else {
		steps := ""
		for i, s := range c.Steps {
			if i > 0 {
				steps += ", "
			}
			steps += fmt.Sprintf("%.0f %s", s.Phase.Rate, map[bool]string{true: "✓", false: "✗"}[s.Held])
		}
		row(target, fmt.Sprintf("%.0f/s (steps of %s: %s)", c.Capacity, c.Step, steps), yes(c.Capacity >= targetSustained))
	}
	target = fmt.Sprintf("placed → confirmed p99 ≤ %s at %.0f/s", ms(targetConfirmP99Quiet), r.Options.SustainedQuietRate)
	if q := d.Quiet; q == nil {
		row(target, "not run", "**no**")
	} else {
		c := q.ToConfirmed
		met := q.Settling.NotEnded == 0 && c.Estimate.N > 0 && c.Estimate.P99 <= targetConfirmP99Quiet
		row(target, fmt.Sprintf("%s (bounds %s … %s; most steal in a window %s)", ms(c.Estimate.P99), ms(c.Low.P99), ms(c.High.P99), stealPeak(q.Steal)), yes(met))
	}
	target = fmt.Sprintf("confirmed/s ≥ %.1f × pgbench running one confirmed order's statements (%d clients)", targetVsOrderPgbench, referenceClients)
	if l := d.Limit; l == nil || l.Rate <= 0 {
		row(target, "not measured", "**no**")
	} else {
		v := ratio(d.Burst.EndToEndRate, l.Rate)
		row(target, fmt.Sprintf("%.2f (burst end to end %.0f/s ÷ %.0f/s)", v, d.Burst.EndToEndRate, l.Rate), yes(d.Burst.Settling.NotEnded == 0 && v >= targetVsOrderPgbench))
	}
}

func lagList(lags []groupLag) string {
	if len(lags) == 0 {
		return "not read"
	}
	s := ""
	for i, l := range lags {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d", groupRole(l.Group), l.Lag)
	}
	return s
}

// groupRole is the consumer a group of the run belongs to (its name ends
// in it).
func groupRole(group string) string {
	for _, c := range allConsumers {
		if len(group) > len(c) && group[len(group)-len(c)-1:] == "-"+c {
			return c
		}
	}
	return group
}
