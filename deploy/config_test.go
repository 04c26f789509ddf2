package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestAlertRulesParseAndHaveARunbook loads alerts.yml as Prometheus does
// and checks that each alert says how bad it is, what happened, and where
// its runbook is: a heading of README.md's Operations section.
func TestAlertRulesParseAndHaveARunbook(t *testing.T) {
	readme := readmeAnchors(t)
	alerts := 0
	for _, g := range rules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s: a recording rule %q; this file holds alerts only", g.Name, r.Record)
				continue
			}
			alerts++
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q, want warning or critical", r.Alert, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary", r.Alert)
			}
			want := "README.md#" + strings.ToLower(r.Alert)
			if r.Annotations["runbook"] != want {
				t.Errorf("%s: runbook %q, want %q", r.Alert, r.Annotations["runbook"], want)
			}
			if !readme[strings.ToLower(r.Alert)] {
				t.Errorf("%s: README.md has no heading %q (its runbook)", r.Alert, r.Alert)
			}
		}
	}
	if alerts < 8 {
		t.Errorf("%d alerts; want the forwarder, backlog, lag, dead-letter, parked, HTTP and process alerts", alerts)
	}
}

// TestDashboardPanelsQueryTheProvisionedPrometheus checks the dashboard's
// structure: unique panel IDs, every panel on the provisioned data source
// with parseable queries, and a word about it in README.md.
func TestDashboardPanelsQueryTheProvisionedPrometheus(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" {
		t.Error("the dashboard has no uid: links to it would change on every load")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	graphs := 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		graphs++
		if p.Datasource.UID != datasourceUID || p.Description == "" || len(p.Targets) == 0 {
			t.Errorf("panel %q: data source %q, %d queries, description %q", p.Title, p.Datasource.UID, len(p.Targets), p.Description)
		}
		for _, target := range p.Targets {
			if target.Datasource.UID != datasourceUID {
				t.Errorf("panel %q %s: data source %q", p.Title, target.RefID, target.Datasource.UID)
			}
			metricNames(t, expression{"panel " + p.Title + " " + target.RefID, target.Expr})
		}
		if !strings.Contains(string(readme), p.Title) {
			t.Errorf("panel %q is not described in README.md", p.Title)
		}
	}
	if graphs < 20 {
		t.Errorf("%d panels", graphs)
	}
}

// readmeAnchors returns the anchors of README.md's headings as GitHub
// makes them: lower case, spaces to dashes, punctuation dropped.
func readmeAnchors(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	punctuation := regexp.MustCompile(`[^a-z0-9 _-]`)
	anchors := map[string]bool{}
	for line := range strings.SplitSeq(string(b), "\n") {
		if heading, ok := strings.CutPrefix(line, "#"); ok {
			heading = strings.TrimSpace(strings.TrimLeft(heading, "#"))
			anchors[strings.ReplaceAll(punctuation.ReplaceAllString(strings.ToLower(heading), ""), " ", "-")] = true
		}
	}
	return anchors
}
