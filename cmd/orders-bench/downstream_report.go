package main

import (
	"fmt"
	"io"
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
	fmt.Fprintf(w, "| %d | %d | %d | %d | %d | %s | %.0f/s | %s | %.0f/s | %.2f | %.2f (%.0f/s) | %.0f%% |\n\n",
		b.Placed, b.Errors, b.Confirmed, b.Cancelled, b.Settling.NotEnded, b.Placing.Round(time.Millisecond), b.PlacementRate,
		b.ToLastEnd.Round(time.Millisecond), b.EndToEndRate, b.VsPlacement, b.VsAPI, b.APIAloneRate, 100*b.Background)
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
	r.printStatements(w)

	fmt.Fprintf(w, "Sustained, open loop, %s per rate. commit → confirmed: \"low\" from the API's 201 to the confirming transaction's start,\n", r.Options.Sustained)
	fmt.Fprintln(w, "\"estimate\" from the placing transaction's start to the confirming one's (order_events.recorded_at),")
	fmt.Fprintln(w, "\"high\" from the placing transaction's start to the OrderConfirmed record's append on Kafka (after the relay).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| rate | commit → confirmed | n | p50 | p90 | p99 | max |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|")
	for _, ph := range d.Sustained {
		for _, row := range []struct {
			name string
			d    distribution
		}{{"low", ph.ToConfirmed.Low}, {"estimate", ph.ToConfirmed.Estimate}, {"high", ph.ToConfirmed.High}} {
			fmt.Fprintf(w, "| %.0f/s | %s | %d | %s | %s | %s | %s |\n", ph.Rate, row.name, row.d.N, ms(row.d.P50), ms(row.d.P90), ms(row.d.P99), ms(row.d.Max))
		}
	}
	fmt.Fprintln(w)
	for _, ph := range d.Sustained {
		fmt.Fprintf(w, "at %.0f/s: %d placed (%d failed), %d confirmed, %d cancelled; after the last placement every order ended %s later, no consumer lag %s later (lag then: %s); "+
			"%.3f CPU s per 1,000 confirmed orders (orders all + PostgreSQL + Kafka); background load %.0f%%\n",
			ph.Rate, ph.Placed, ph.Errors, ph.Confirmed, ph.Cancelled, after(ph.Settling.AllEnded), after(ph.Settling.LagZero),
			lagList(ph.Settling.AtLastPlacement), ph.PipelineCPU, 100*ph.Background)
		if ph.Settling.LagZero < 0 {
			fmt.Fprintf(w, "  not caught up within %s: %d orders not ended, lag left %s; the latencies cover the confirmed orders only\n",
				d.EndTimeout, ph.Settling.NotEnded, lagList(ph.Settling.LagLeft))
		}
	}
	fmt.Fprintf(w, "\npeak RSS: %s\n\n", rssList(d.PeakRSS))
}

func (r *results) printStatements(w io.Writer) {
	s := r.Downstream.Statements
	if s.Missing != "" {
		fmt.Fprintf(w, "PostgreSQL during the burst: %s.\n\n", s.Missing)
		return
	}
	fmt.Fprintf(w, "PostgreSQL during the burst, the bench database: %.1f committed transactions, %.0f tuples returned and %.0f fetched per confirmed order;\n",
		s.CommitsPerOrder, s.TuplesReturnedPerOrder, s.TuplesFetchedPerOrder)
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
			fmt.Sprintf("%s (bounds %s … %s)%s", ms(c.Estimate.P99), ms(c.Low.P99), ms(c.High.P99), notEnded(ph.Settling.NotEnded)), yes(met))
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
		fmt.Sprintf("%.0f/s", b.EndToEndRate), yes(allEnded && b.EndToEndRate >= targetBurstRate))
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
	for _, missing := range []string{
		"sustained ≥ 200 orders/s at placed → confirmed p99 ≤ 1 s (step search)",
		"placed → confirmed p99 ≤ 60 ms at 10/s",
		"confirmed/s ≥ 0.5 × pgbench running one confirmed order's statements",
	} {
		row(missing, "not measured yet", "**no**")
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
