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

// plotDownstream writes the burst's timeline and the sustained rates'
// commit → confirmed distributions.
func (r *results) plotDownstream(dir string) error {
	if r.Downstream == nil {
		return nil
	}
	if err := r.plotBurst(filepath.Join(dir, "bench-burst.png")); err != nil {
		return err
	}
	return r.plotConfirmed(filepath.Join(dir, "bench-confirmed.png"))
}

// plotBurst draws how many of the burst's orders had been placed and had
// ended, against the time since the first placement.
func (r *results) plotBurst(file string) error {
	b := r.Downstream.Burst
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Burst of %d orders on orders all (%d clients)", b.Orders, b.Clients)
	p.X.Label.Text = "seconds since the first placement"
	p.Y.Label.Text = "orders"
	p.Add(plotter.NewGrid())
	for i, s := range []struct {
		name string
		at   []time.Duration
	}{{"placed (201 received)", b.placedAt}, {"ended (confirmed or cancelled)", b.endedAt}} {
		line, err := plotter.NewLine(cumulative(s.at))
		if err != nil {
			return err
		}
		line.Color, line.Dashes, line.Width = plotutil.Color(i), plotutil.Dashes(i), vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(s.name, line)
	}
	p.Y.Min, p.Y.Max = 0, 1.3*float64(max(len(b.placedAt), len(b.endedAt))) // room for the legend above the lines
	p.Y.Tick.Marker = integerTicks{}
	p.Legend.Top, p.Legend.Left = true, true
	return p.Save(16*vg.Centimeter, 10*vg.Centimeter, file)
}

// cumulative is how many of the moments at had passed at each of them.
func cumulative(at []time.Duration) plotter.XYs {
	s := slices.Clone(at)
	slices.Sort(s)
	xy := make(plotter.XYs, 0, len(s)+1)
	xy = append(xy, plotter.XY{})
	for i, v := range s {
		xy = append(xy, plotter.XY{X: v.Seconds(), Y: float64(i + 1)})
	}
	return xy
}

// plotConfirmed draws the share of orders confirmed within a latency at
// each sustained rate (the estimate: between the transactions' starts).
func (r *results) plotConfirmed(file string) error {
	if !slices.ContainsFunc(r.Downstream.Sustained, func(ph *sustainedPhase) bool { return len(ph.estimate) > 0 }) {
		return nil // nothing confirmed to draw
	}
	p := plot.New()
	p.Title.Text = "orders all, sustained: share of orders confirmed within a latency"
	p.X.Label.Text = "ms from placing to confirming transaction's start, log scale"
	p.Y.Label.Text = "share of orders"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 1.3 // room for the legend above the curves
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.5, Label: "0.5"}, {Value: 0.99, Label: "0.99"}})
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	for i, ph := range r.Downstream.Sustained {
		if len(ph.estimate) == 0 {
			continue
		}
		line, err := plotter.NewLine(cdf(ph.estimate))
		if err != nil {
			return err
		}
		line.Color, line.Width = plotutil.Color(i), vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("at %.0f/s", ph.Rate), line)
	}
	return p.Save(16*vg.Centimeter, 10*vg.Centimeter, file)
}
