// Package deploy holds no Go code: its tests check the monitoring
// configuration beside them (Prometheus, Grafana) and docker-compose.yml.
package deploy

import (
	"encoding/json"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

const (
	alertsFile    = "prometheus/alerts.yml"
	dashboardFile = "grafana/dashboards/orders.json"
	datasourceUID = "prometheus" // grafana/provisioning/datasources/prometheus.yml
)

// promql parses PromQL as Prometheus 3 does by default.
var promql = parser.NewParser(parser.Options{})

// expression is one PromQL text of the dashboard or the rules, and where.
type expression struct{ where, expr string }

// rules parses alerts.yml as Prometheus loads it (`promtool check rules`
// runs the same parser): unknown fields, bad PromQL and bad templates
// fail.
func rules(t *testing.T) *rulefmt.RuleGroups {
	t.Helper()
	groups, errs := rulefmt.ParseFile(alertsFile, false, model.UTF8Validation, promql, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil {
		t.FailNow()
	}
	return groups
}

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	UID    string  `json:"uid"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID          int        `json:"id"`
	Type        string     `json:"type"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Datasource  datasource `json:"datasource"`
	Targets     []struct {
		RefID      string     `json:"refId"`
		Expr       string     `json:"expr"`
		Datasource datasource `json:"datasource"`
	} `json:"targets"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// expressions returns every PromQL expression of the dashboard and the
// alerting rules.
func expressions(t *testing.T) []expression {
	t.Helper()
	var out []expression
	for _, g := range rules(t).Groups {
		for _, r := range g.Rules {
			out = append(out, expression{"alert " + r.Alert, r.Expr})
		}
	}
	for _, p := range readDashboard(t).Panels {
		for _, target := range p.Targets {
			out = append(out, expression{"panel " + p.Title + " " + target.RefID, target.Expr})
		}
	}
	return out
}

// grafanaVariables are the dashboard's Grafana variables and what stands
// for them when the expression is parsed.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")

// metricNames returns the metric names expr selects, failing the test on
// a selector without one.
func metricNames(t *testing.T, e expression) []string {
	t.Helper()
	parsed, err := promql.ParseExpr(grafanaVariables.Replace(e.expr))
	if err != nil {
		t.Errorf("%s: %q: %v", e.where, e.expr, err)
		return nil
	}
	var names []string
	for _, matchers := range parser.ExtractSelectors(parsed) {
		name := ""
		for _, m := range matchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name == "" {
			t.Errorf("%s: a selector without a metric name in %q", e.where, e.expr)
			continue
		}
		names = append(names, name)
	}
	return names
}

// usedMetrics returns every metric name used, with where it is used.
func usedMetrics(t *testing.T) map[string][]string {
	t.Helper()
	used := map[string][]string{}
	for _, e := range expressions(t) {
		for _, name := range metricNames(t, e) {
			used[name] = append(used[name], e.where)
		}
	}
	return used
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
