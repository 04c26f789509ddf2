package main

import (
	"fmt"
	"io"
	"time"
)

// targets of issues 6 and 12, the figure each is checked against.
const (
	targetVsPgbench        = 0.50
	goalVsPgbench          = 0.60
	targetPostgresCPU      = 1.5  // the service's PostgreSQL CPU per order against pgbench's
	targetAPICPU           = 0.20 // CPU ms per order
	targetOutboxCost       = 0.25
	targetForwarderVsStock = 5.0
	targetP99Low           = 10 * time.Millisecond
	targetP99Half          = 25 * time.Millisecond
	targetIdleCPU          = 1.0 // % of a core
	referenceClients       = 32
)

func (r *results) printTargets(w io.Writer) {
	fmt.Fprintln(w, "## Targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | met |")
	fmt.Fprintln(w, "|---|---|---|")
	rowVerdict := func(target, measured, verdict string) {
		fmt.Fprintf(w, "| %s | %s | %s |\n", target, measured, verdict)
	}
	row := func(target, measured string, met bool) { rowVerdict(target, measured, yes(met)) }
	if s := r.WritePath.step(referenceClients); s != nil {
		v := s.Service / s.Pgbench
		row(fmt.Sprintf("write path ≥ %.2f of pgbench at %d clients (goal %.2f)", targetVsPgbench, referenceClients, goalVsPgbench), fmt.Sprintf("%.2f", v), v >= targetVsPgbench)
		pg := s.ServiceCPU.Postgres / s.PgbenchServerCPU
		row(fmt.Sprintf("PostgreSQL CPU per order ≤ %.1f× pgbench's at %d clients", targetPostgresCPU, referenceClients),
			fmt.Sprintf("%.2f× (%.3f vs %.3f CPU s per 1,000)", pg, s.ServiceCPU.Postgres, s.PgbenchServerCPU), pg <= targetPostgresCPU)
		row(fmt.Sprintf("API CPU per order ≤ %.2f ms at %d clients", targetAPICPU, referenceClients),
			fmt.Sprintf("%.2f ms", s.ServiceCPU.API), s.ServiceCPU.API <= targetAPICPU)
		c := 1 - s.Service/s.NoOutbox
		row(fmt.Sprintf("outbox costs ≤ %.0f%% at %d clients", 100*targetOutboxCost, referenceClients), fmt.Sprintf("%.1f%%", 100*c), c <= targetOutboxCost)
	}
	maxRate := r.WritePath.MaxRate
	if r.Forwarder != nil {
		for _, rr := range r.Forwarder.Rows {
			v := ratio(rr.Ours, rr.Stock)
			row(fmt.Sprintf("forwarder ≥ %.0f× stock from %d", targetForwarderVsStock, rr.Backlog), fmt.Sprintf("%.1f× (%.0f vs %.0f/s)", v, rr.Ours, rr.Stock), v >= targetForwarderVsStock)
			row(fmt.Sprintf("forwarder from %d ≥ max placement rate", rr.Backlog), fmt.Sprintf("%.0f vs %.0f/s", rr.Ours, maxRate), rr.Ours >= maxRate)
		}
	}
	row("orders forwarder (write path's backlog) ≥ max placement rate", fmt.Sprintf("%.0f vs %.0f/s", r.Drain.Rate, maxRate), r.Drain.Rate >= maxRate)
	for _, e := range r.EndToEnd {
		for i, ph := range e.Phases {
			limit := targetP99Half
			if i == 0 {
				limit = targetP99Low
			}
			low, high := ph.ToKafka.Low.P99, ph.ToKafka.High.P99
			measured := fmt.Sprintf("%s … %s (bounds)", ms(low), ms(high))
			verdict := "between the bounds"
			switch p99, exact := ph.ToKafka.p99(); {
			case ph.ToKafka.High.N == 0:
				verdict = "**no** (nothing measured)"
			case exact:
				measured = fmt.Sprintf("%s from the commit (bounds %s … %s)", ms(p99), ms(low), ms(high))
				verdict = yes(p99 <= limit)
			case high <= limit:
				verdict = "yes"
			case low > limit:
				verdict = "**no**"
			}
			rowVerdict(fmt.Sprintf("commit → Kafka p99 ≤ %s at %.0f/s (%s)", ms(limit), ph.Rate, e.processes()), measured, verdict)
		}
	}
	if len(r.EndToEnd) > 0 {
		for _, u := range r.EndToEnd[0].IdleCPU {
			if u.Name == "orders forwarder" {
				row(fmt.Sprintf("forwarder idle ≤ %.0f%% of a core", targetIdleCPU), fmt.Sprintf("%.2f%%", u.Value), u.Value <= targetIdleCPU)
			}
		}
	}
	r.downstreamTargets(rowVerdict)
	fmt.Fprintln(w)
}
