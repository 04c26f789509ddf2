package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// composeFile is the part of docker-compose.yml the test reads (YAML
// merge keys resolved).
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]any    `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// promConfig is the part of prometheus.yml the test reads.
type promConfig struct {
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// pinned is an image reference with an explicit version tag.
var pinned = regexp.MustCompile(`^[a-z0-9./_-]+:v?[0-9]+(\.[0-9]+)*$`)

// TestComposeRunsPrometheusAndGrafanaOnTheRepositorysConfiguration reads
// docker-compose.yml (there is no Docker engine to run `docker compose
// config`): images pinned, references between services resolved, and the
// monitoring configuration mounted read-only where Prometheus and
// Grafana read it.
func TestComposeRunsPrometheusAndGrafanaOnTheRepositorysConfiguration(t *testing.T) {
	var c composeFile
	readYAML(t, "../docker-compose.yml", &c)
	for name, s := range c.Services {
		if s.Build == nil && !pinned.MatchString(s.Image) {
			t.Errorf("service %s: image %q is not pinned to a version", name, s.Image)
		}
		for dep := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("service %s depends on %s, which is not a service", name, dep)
			}
		}
		for _, v := range s.Volumes {
			source, rest, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(source, ".") {
				if _, ok := c.Volumes[source]; !ok {
					t.Errorf("service %s: volume %s is not declared", name, source)
				}
				continue
			}
			if _, err := os.Stat(filepath.Join("..", source)); err != nil {
				t.Errorf("service %s mounts %s: %v", name, source, err)
			}
			if !strings.HasSuffix(rest, ":ro") {
				t.Errorf("service %s: %s is mounted writable", name, v)
			}
		}
	}
	mounts := func(service string) []string { return c.Services[service].Volumes }
	for _, want := range []string{
		"./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
		"./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro",
	} {
		if !slices.Contains(mounts("prometheus"), want) {
			t.Errorf("prometheus does not mount %s", want)
		}
	}
	if !slices.Contains(c.Services["prometheus"].Command, "--config.file=/etc/prometheus/prometheus.yml") {
		t.Errorf("prometheus command %v", c.Services["prometheus"].Command)
	}
	for _, want := range []string{
		"./deploy/grafana/provisioning:/etc/grafana/provisioning:ro",
		"./deploy/grafana/dashboards:/etc/grafana/dashboards:ro", // grafana/provisioning/dashboards/orders.yml
	} {
		if !slices.Contains(mounts("grafana"), want) {
			t.Errorf("grafana does not mount %s", want)
		}
	}
	env := c.Services["grafana"].Environment
	if env["GF_AUTH_ANONYMOUS_ENABLED"] != "true" || env["GF_AUTH_ANONYMOUS_ORG_ROLE"] != "Viewer" {
		t.Errorf("grafana: anonymous access %q as %q, want true as Viewer", env["GF_AUTH_ANONYMOUS_ENABLED"], env["GF_AUTH_ANONYMOUS_ORG_ROLE"])
	}
	provider, err := os.ReadFile("grafana/provisioning/dashboards/orders.yml")
	if err != nil || !strings.Contains(string(provider), "path: /etc/grafana/dashboards") {
		t.Errorf("the dashboard provider does not read /etc/grafana/dashboards: %v", err)
	}
}

// TestPrometheusScrapesEveryOrdersProcess checks prometheus.yml against
// docker-compose.yml: the rules file is loaded from where it is mounted,
// and the orders job scrapes each service that runs an orders process
// (all but the one-off migration) on its METRICS_ADDR, :9090.
func TestPrometheusScrapesEveryOrdersProcess(t *testing.T) {
	var c composeFile
	readYAML(t, "../docker-compose.yml", &c)
	var p promConfig
	readYAML(t, "prometheus/prometheus.yml", &p)
	if !slices.Equal(p.RuleFiles, []string{"/etc/prometheus/alerts.yml"}) {
		t.Errorf("rule_files %v", p.RuleFiles)
	}
	var want []string
	for name, s := range c.Services {
		if s.Image == "orders:local" && !slices.Equal(s.Command, []string{"migrate"}) {
			want = append(want, name+":9090")
		}
	}
	var got []string
	for _, job := range p.ScrapeConfigs {
		if job.JobName != "orders" {
			continue
		}
		for _, sc := range job.StaticConfigs {
			got = append(got, sc.Targets...)
			if len(sc.Targets) != 1 || sc.Labels["process"] != strings.TrimSuffix(sc.Targets[0], ":9090") {
				t.Errorf("targets %v: want one target per entry, labelled with its process", sc.Targets)
			}
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) < 5 || !slices.Equal(got, want) {
		t.Errorf("the orders job scrapes %v, want the compose services %v", got, want)
	}
}
