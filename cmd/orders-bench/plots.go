package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plot writes the run's PNGs into dir.
func (r *results) plot(dir string) error {
	if err := r.plotLatency(filepath.Join(dir, "bench-latency.png")); err != nil {
		return err
	}
	if err := r.plotDrain(filepath.Join(dir, "bench-drain.png")); err != nil {
		return err
	}
	if err := r.plotDownstream(dir); err != nil {
		return err
	}
	return r.plotWritePath(filepath.Join(dir, "bench-write-path.png"))
}

// plotLatency draws the distribution of each end-to-end latency as the
// share of orders at or below a latency (log scale).
func (r *results) plotLatency(file string) error {
	p := plot.New()
	p.Title.Text = "End to end: share of orders within a latency"
	p.X.Label.Text = "ms from the placing transaction's commit (its start without track_commit_timestamp), log scale"
	p.Y.Label.Text = "share of orders"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 1.4 // room for the legend above the curves
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.5, Label: "0.5"}, {Value: 0.9, Label: "0.9"}, {Value: 1, Label: "1"}})
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	i := 0
	for k, e := range r.EndToEnd {
		for _, ph := range e.Phases {
			name, d := "to Kafka", ph.kafkaPlot
			if k > 0 {
				name, d = "to the reservation", ph.effectPlot
			}
			if len(d) == 0 {
				continue
			}
			line, err := plotter.NewLine(cdf(d))
			if err != nil {
				return err
			}
			line.Color = plotutil.Color(i)
			line.Dashes = plotutil.Dashes(k)
			line.Width = vg.Points(1.5)
			p.Add(line)
			p.Legend.Add(fmt.Sprintf("%s at %.0f/s", name, ph.Rate), line)
			i++
		}
	}
	return p.Save(18*vg.Centimeter, 11*vg.Centimeter, file)
}

// cdf is the empirical distribution of d in milliseconds (at least
// 0.1 ms, for the log scale).
func cdf(d []time.Duration) plotter.XYs {
	s := slices.Clone(d)
	slices.Sort(s)
	xy := make(plotter.XYs, len(s))
	for i, v := range s {
		xy[i].X = max(0.1, float64(v)/float64(time.Millisecond))
		xy[i].Y = float64(i+1) / float64(len(s))
	}
	return xy
}

// plotDrain draws the forwarder's throughput over time while it drains
// the write path's backlog, beside the maximum placement rate.
func (r *results) plotDrain(file string) error {
	d := r.Drain
	p := plot.New()
	p.Title.Text = fmt.Sprintf("orders forwarder draining a backlog of %d events", d.Backlog)
	p.X.Label.Text = "seconds since the forwarder process started"
	p.Y.Label.Text = "events/s onto Kafka"
	p.Add(plotter.NewGrid())
	rate := make(plotter.XYs, 0, len(d.Series))
	const window = 500 * time.Millisecond
	if len(d.Series) > 0 {
		prev := d.Series[0]
		for _, pt := range d.Series[1:] {
			if pt.At-prev.At < window {
				continue
			}
			mid := (prev.At + pt.At) / 2
			rate = append(rate, plotter.XY{X: mid.Seconds(), Y: float64(pt.Records-prev.Records) / (pt.At - prev.At).Seconds()})
			prev = pt
		}
	}
	line, err := plotter.NewLine(rate)
	if err != nil {
		return err
	}
	line.Color, line.Width = plotutil.Color(0), vg.Points(1.5)
	p.Add(line)
	p.Legend.Add("forwarder (0.5 s windows)", line)
	if len(rate) > 0 {
		last := rate[len(rate)-1].X
		for k, ref := range []struct {
			name string
			v    float64
		}{{"max placement rate", r.WritePath.MaxRate}, {"mean drain rate", d.Rate}} {
			l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: ref.v}, {X: last, Y: ref.v}})
			if err != nil {
				return err
			}
			l.Color, l.Dashes = plotutil.Color(k+1), plotutil.Dashes(k+1)
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s (%.0f/s)", ref.name, ref.v), l)
		}
	}
	p.Y.Min = 0
	p.Y.Tick.Marker = integerTicks{}
	p.Legend.Top, p.Legend.Left = false, false
	return p.Save(18*vg.Centimeter, 10*vg.Centimeter, file)
}

// plotWritePath draws orders/s against concurrent clients for the service,
// the service without its outbox, and pgbench.
func (r *results) plotWritePath(file string) error {
	p := plot.New()
	p.Title.Text = "Write path: placements per second"
	p.X.Label.Text = "concurrent clients (log scale)"
	p.Y.Label.Text = "orders/s (pgbench: transactions/s)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks(clientTicks(r.WritePath.Steps))
	p.Add(plotter.NewGrid())
	series := []struct {
		name string
		v    func(writeStep) float64
	}{
		{"pgbench, same statements", func(s writeStep) float64 { return s.Pgbench }},
		{"service without outbox", func(s writeStep) float64 { return s.NoOutbox }},
		{"service (HTTP, outbox)", func(s writeStep) float64 { return s.Service }},
	}
	for i, s := range series {
		xy := make(plotter.XYs, len(r.WritePath.Steps))
		for j, st := range r.WritePath.Steps {
			xy[j] = plotter.XY{X: float64(st.Clients), Y: s.v(st)}
		}
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		line.Color, points.Color, points.Shape = plotutil.Color(i), plotutil.Color(i), plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
	}
	// With one client count (-clients 1) the plot would widen the range
	// by ±1, to [0, 2], which a log scale cannot draw.
	if p.X.Min == p.X.Max {
		p.X.Min, p.X.Max = p.X.Min/2, p.X.Max*2
	}
	p.Y.Min = 0
	p.Y.Max *= 1.3 // room for the legend above the lines
	p.Y.Tick.Marker = integerTicks{}
	p.Legend.Top, p.Legend.Left = true, true
	return p.Save(16*vg.Centimeter, 10*vg.Centimeter, file)
}

func clientTicks(steps []writeStep) []plot.Tick {
	ticks := make([]plot.Tick, len(steps))
	for i, s := range steps {
		ticks[i] = plot.Tick{Value: float64(s.Clients), Label: fmt.Sprint(s.Clients)}
	}
	return ticks
}

// integerTicks are the default ticks labelled without decimals.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = fmt.Sprintf("%.0f", ticks[i].Value)
		}
	}
	return ticks
}
