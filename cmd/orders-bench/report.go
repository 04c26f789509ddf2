package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

func (r *results) print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "# orders-bench, %s (%s)\n\n", r.Started.Format("2 Jan 2006 15:04 MST"), r.Elapsed.Round(time.Second))
	fmt.Fprintf(w, "## Machine\n\n- %d cores (%s), %.1f GiB, Linux %s, %s\n", m.Cores, m.CPUModel, m.MemoryGiB, m.Kernel, m.Go)
	fmt.Fprintf(w, "- %s\n  - settings not at their defaults: %s\n", m.Postgres, strings.Join(m.PostgresSettings, ", "))
	fmt.Fprintf(w, "- %s, one KRaft broker and controller\n  - JVM: %s\n  - broker settings (server.properties): %s\n\n",
		m.Kafka, strings.Join(m.KafkaJVM, " "), strings.Join(m.KafkaSettings, ", "))
	r.printWritePath(w)
	r.printForwarder(w)
	for _, e := range r.EndToEnd {
		r.printEndToEnd(w, e)
	}
	r.printShards(w)
	r.printDownstream(w)
	r.printTargets(w)
}

func (r *results) printWritePath(w io.Writer) {
	wp, o := r.WritePath, r.Options
	fmt.Fprintf(w, "## Write path: orders/s over HTTP (mean of %d round(s) of %s; orders outbox of %d shard(s))\n\n", o.Rounds, o.Step, r.WritePath.Shards)
	fmt.Fprintln(w, "| clients | service | without outbox | pgbench, same statements | service / pgbench | outbox cost | request p50 | request p99 | failed | background load |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range wp.Steps {
		fmt.Fprintf(w, "| %d | %.0f | %.0f | %.0f | %.2f | %.1f%% | %s | %s | %d | %.0f%% |\n", s.Clients, s.Service, s.NoOutbox, s.Pgbench,
			s.Service/s.Pgbench, 100*(1-s.Service/s.NoOutbox), ms(s.P50), ms(s.P99), s.Errors, 100*s.Background)
	}
	fmt.Fprintln(w, "\n(background load: the largest share of the machine that processes other than the measured ones used during the row's measurements)")
	fmt.Fprintf(w, "\nmaximum placement rate: %.0f orders/s (%d clients)\n\n", wp.MaxRate, wp.MaxRateClients)
	fmt.Fprintln(w, "CPU seconds per 1,000 orders (PostgreSQL: the whole server):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| clients | API | PostgreSQL | load generator | API, no outbox | PostgreSQL, no outbox | pgbench | PostgreSQL, pgbench |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range wp.Steps {
		fmt.Fprintf(w, "| %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", s.Clients, s.ServiceCPU.API, s.ServiceCPU.Postgres,
			s.ServiceCPU.LoadGenerator, s.NoOutboxCPU.API, s.NoOutboxCPU.Postgres, s.PgbenchCPU, s.PgbenchServerCPU)
	}
	fmt.Fprintf(w, "\npeak RSS: API %s, API without outbox %s\n\n", mib(wp.APIPeakRSS), mib(wp.NoOutboxPeakRSS))
	if wp.APIProfile != "" {
		fmt.Fprintf(w, "where the API's CPU goes at %d clients: `go tool pprof -top %s %s`\n\n", referenceClients, wp.OrdersBinary, wp.APIProfile)
	}
}

func (r *results) printForwarder(w io.Writer) {
	d, maxRate := r.Drain, r.WritePath.MaxRate
	fmt.Fprintln(w, "## Forwarder: drain rate (events/s)")
	fmt.Fprintln(w)
	if r.Forwarder != nil {
		fmt.Fprintf(w, "cmd/outbox-bench %s (its own tables; stock = DefaultPostgreSQLSchema, batch 100, poll 1 s):\n\n", strings.Join(r.Forwarder.Args, " "))
		fmt.Fprintln(w, "| backlog | ours | stock | ours / stock | ours / max placement rate |")
		fmt.Fprintln(w, "|---:|---:|---:|---:|---:|")
		for _, row := range r.Forwarder.Rows {
			fmt.Fprintf(w, "| %d | %.0f | %.0f | %.1f× | %.2f× |\n", row.Backlog, row.Ours, row.Stock, ratio(row.Ours, row.Stock), ratio(row.Ours, maxRate))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "(the forwarder's own benchmark beside the stock configuration was not run: -forwarder=false)")
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "`orders forwarder` draining the write path's outbox: %d events in %s = %.0f/s (%.2f× the max placement rate); "+
		"forwarder %.3f CPU s per 1,000 events, PostgreSQL %.3f; forwarder peak RSS %s\n\n",
		d.Backlog, d.Elapsed.Round(time.Millisecond), d.Rate, ratio(d.Rate, maxRate), d.ForwarderCPU, d.PostgresCPU, mib(d.PeakRSS))
}

func (r *results) printEndToEnd(w io.Writer, e *e2eResult) {
	fmt.Fprintf(w, "## End to end: %s (%s per rate)\n\n", e.processes(), r.Options.Latency)
	fmt.Fprintln(w, "\"from the commit\" starts at the placing transaction's commit timestamp (track_commit_timestamp);")
	fmt.Fprintln(w, "the bounds around it: \"low\" starts at the API's 201 (after the commit; late under load),")
	fmt.Fprintln(w, "\"high\" at the writing transaction's start (before its commit).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| rate | from → to | n | p50 | p90 | p99 | max |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|")
	for _, ph := range e.Phases {
		rows := []struct {
			name string
			d    distribution
		}{
			{"placing transaction, start → commit", ph.Transaction},
			{"commit → Kafka, from the commit", ph.ToKafka.Commit},
			{"commit → Kafka, low (from the 201)", ph.ToKafka.Low},
			{"commit → Kafka, high (from the tx start)", ph.ToKafka.High},
		}
		if ph.ToEffect.High.N > 0 {
			rows = append(rows, []struct {
				name string
				d    distribution
			}{
				{"commit → reservation, from the commit", ph.ToEffect.Commit},
				{"commit → reservation, low (from the 201)", ph.ToEffect.Low},
				{"commit → reservation, high (from the tx start)", ph.ToEffect.High},
			}...)
		}
		for _, row := range rows {
			if row.d.N == 0 {
				continue // no commit timestamps on this server
			}
			fmt.Fprintf(w, "| %.0f/s | %s | %d | %s | %s | %s | %s |\n", ph.Rate, row.name, row.d.N, ms(row.d.P50), ms(row.d.P90), ms(row.d.P99), ms(row.d.Max))
		}
	}
	fmt.Fprintln(w)
	for _, ph := range e.Phases {
		fmt.Fprintf(w, "at %.0f/s: %d placed, all handled %s after the first placement; background load %.0f%% of the machine",
			ph.Rate, ph.Placed, ph.Settled.Round(time.Millisecond), 100*ph.Background)
		if ph.Errors > 0 || ph.Missing > 0 {
			fmt.Fprintf(w, "; %d placements failed, %d orders lack a record or a reservation", ph.Errors, ph.Missing)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "CPU seconds per 1,000 orders, from the first placement until every order was handled:")
	fmt.Fprintln(w)
	header, sep := "| process |", "|---|"
	for _, ph := range e.Phases {
		header += fmt.Sprintf(" at %.0f/s |", ph.Rate)
		sep += "---:|"
	}
	fmt.Fprintln(w, header)
	fmt.Fprintln(w, sep)
	if len(e.Phases) > 0 {
		for i, u := range e.Phases[0].CPU {
			line := "| " + u.Name + " |"
			for _, ph := range e.Phases {
				line += fmt.Sprintf(" %.3f |", ph.CPU[i].Value)
			}
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintf(w, "\nidle (nothing placed, %s): ", e.IdleWindow)
	for i, u := range e.IdleCPU {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%s %.2f%%", u.Name, u.Value)
	}
	fmt.Fprintf(w, " of a core\n\npeak RSS: %s\n\n", rssList(e.PeakRSS))
}

// rssList is "name size, …" of memory usages in bytes.
func rssList(us []usage) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.Name + " " + mib(int64(u.Value))
	}
	return strings.Join(parts, ", ")
}
