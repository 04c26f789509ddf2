package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// consumerBatches is what one consumer of `orders all` did with a phase's
// messages, from its metrics: how many its handlers were done with, how
// many of those ran in batches (two or more in one transaction) and in how
// many batches. A message that finds its consumer idle runs alone, at
// once; below saturation most do, and an order then costs more CPU than
// in the burst (docs/benchmarks.md).
type consumerBatches struct {
	Consumer                  string
	Handled, Batched, Batches float64
}

// String is e.g. "inventory 86% ×3.5": the share of its messages that ran
// in batches, and their mean size.
func (c consumerBatches) String() string {
	return fmt.Sprintf("%s %.0f%% ×%.1f", c.Consumer, 100*ratio(c.Batched, c.Handled), ratio(c.Batched, c.Batches))
}

// batchList is one phase's consumers, e.g. "inventory 86% ×3.5 · payment
// 90% ×5.0", or "-" when not measured.
func batchList(b []consumerBatches) string {
	if len(b) == 0 {
		return "-"
	}
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = c.String()
	}
	return strings.Join(parts, " · ")
}

// batchWindow reads the consumers' counters at a phase's start and at its
// end; the difference is the phase's.
type batchWindow struct {
	url          string
	start, ended []consumerBatches
	err          error
}

func startBatchWindow(ctx context.Context, metricsURL string) *batchWindow {
	w := &batchWindow{url: metricsURL}
	w.start, w.err = scrapeBatches(ctx, metricsURL)
	return w
}

// end reads the counters again; only its first call counts.
func (w *batchWindow) end(ctx context.Context) {
	if w.ended != nil || w.err != nil {
		return
	}
	w.ended, w.err = scrapeBatches(ctx, w.url)
}

// result is each consumer's part of the window, by consumer name.
func (w *batchWindow) result() ([]consumerBatches, error) {
	if w.err != nil {
		return nil, fmt.Errorf("the consumers' batch metrics: %w", w.err)
	}
	out := make([]consumerBatches, 0, len(w.ended))
	for _, e := range w.ended {
		i := slices.IndexFunc(w.start, func(s consumerBatches) bool { return s.Consumer == e.Consumer })
		if i >= 0 {
			s := w.start[i]
			e.Handled, e.Batched, e.Batches = e.Handled-s.Handled, e.Batched-s.Batched, e.Batches-s.Batches
		}
		out = append(out, e)
	}
	return out, nil
}

func scrapeBatches(ctx context.Context, metricsURL string) ([]consumerBatches, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %s", metricsURL, resp.Status)
	}
	return batchesFrom(resp.Body)
}

// batchesFrom reads the consumers' counters from a scrape in Prometheus's
// text format, sorted by consumer.
func batchesFrom(in io.Reader) ([]consumerBatches, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(in)
	if err != nil {
		return nil, err
	}
	byName := map[string]*consumerBatches{}
	of := func(m *dto.Metric) *consumerBatches {
		for _, l := range m.GetLabel() {
			if l.GetName() == "consumer" {
				c := byName[l.GetValue()]
				if c == nil {
					c = &consumerBatches{Consumer: l.GetValue()}
					byName[l.GetValue()] = c
				}
				return c
			}
		}
		return &consumerBatches{} // no consumer label: counted nowhere
	}
	for _, m := range families["orders_consumer_messages_handled_total"].GetMetric() {
		of(m).Handled += m.GetCounter().GetValue()
	}
	for _, m := range families["orders_consumer_batch_size_messages"].GetMetric() {
		c := of(m)
		c.Batched += m.GetHistogram().GetSampleSum()
		c.Batches += float64(m.GetHistogram().GetSampleCount())
	}
	out := make([]consumerBatches, 0, len(byName))
	for _, c := range byName {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b consumerBatches) int { return strings.Compare(a.Consumer, b.Consumer) })
	return out, nil
}
