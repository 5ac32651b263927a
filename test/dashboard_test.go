package test

// The Grafana dashboard of deploy/grafana: valid, and asking only for series this build exports
// (the vpce plugin's, read from its source, and CoreDNS's own).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
)

// coreSeries are the series of CoreDNS itself (and of its forward and cache plugins) that the
// dashboard may use, by family name and type. Each is checked against the process's registry.
var coreSeries = map[string]string{
	"coredns_dns_requests_total":                   "counter",
	"coredns_dns_responses_total":                  "counter",
	"coredns_dns_request_duration_seconds":         "histogram",
	"coredns_dns_request_size_bytes":               "histogram",
	"coredns_dns_response_size_bytes":              "histogram",
	"coredns_panics_total":                         "counter",
	"coredns_cache_hits_total":                     "counter",
	"coredns_cache_misses_total":                   "counter",
	"coredns_cache_entries":                        "gauge",
	"coredns_proxy_request_duration_seconds":       "histogram",
	"coredns_forward_max_concurrent_rejects_total": "counter",
}

// vpceFamilies reads the metric families the vpce plugin defines from its source: every
// prometheus.*Opts literal in plugin/vpce and its packages (its Namespace, Subsystem and Name) and every
// prometheus.BuildFQName call (a custom collector's), resolved from string literals, the
// package's constants and plugin.Namespace.
func vpceFamilies(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	consts := map[string]string{}
	var opts []*ast.CompositeLit
	var kinds []string
	var fqNames []*ast.CallExpr
	for _, f := range pluginSources(t, fset) {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ValueSpec:
				for i, id := range x.Names {
					if i < len(x.Values) {
						if lit, ok := x.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[id.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			case *ast.CallExpr: // a custom collector's prometheus.NewDesc(prometheus.BuildFQName(...), ...)
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "BuildFQName" && len(x.Args) == 3 {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "prometheus" {
						fqNames = append(fqNames, x)
					}
				}
			case *ast.CompositeLit:
				if sel, ok := x.Type.(*ast.SelectorExpr); ok {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "prometheus" && strings.HasSuffix(sel.Sel.Name, "Opts") {
						opts = append(opts, x)
						kinds = append(kinds, strings.ToLower(strings.TrimSuffix(sel.Sel.Name, "Opts")))
					}
				}
			}
			return true
		})
	}
	resolve := func(e ast.Expr) string {
		switch x := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(x.Value)
			if err == nil {
				return s
			}
		case *ast.Ident:
			if s, ok := consts[x.Name]; ok {
				return s
			}
		case *ast.SelectorExpr:
			if pkg, ok := x.X.(*ast.Ident); ok && pkg.Name == "plugin" && x.Sel.Name == "Namespace" {
				return plugin.Namespace
			}
		}
		t.Fatalf("%s: cannot resolve %T", fset.Position(e.Pos()), e)
		return ""
	}
	families := map[string]string{}
	for i, lit := range opts {
		fields := map[string]string{}
		for _, el := range lit.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if key, ok := kv.Key.(*ast.Ident); ok && (key.Name == "Namespace" || key.Name == "Subsystem" || key.Name == "Name") {
					fields[key.Name] = resolve(kv.Value)
				}
			}
		}
		families[prometheus.BuildFQName(fields["Namespace"], fields["Subsystem"], fields["Name"])] = kinds[i]
	}
	for _, call := range fqNames {
		families[prometheus.BuildFQName(resolve(call.Args[0]), resolve(call.Args[1]), resolve(call.Args[2]))] = "untyped"
	}
	if len(families) == 0 {
		t.Fatal("no metrics found in plugin/vpce")
	}
	return families
}

// registered tells whether the process's default registry has a metric family of this name:
// registering another collector of the name fails if so, and is undone if not.
func registered(name string) bool {
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "dashboard_test probe"})
	if err := prometheus.DefaultRegisterer.Register(probe); err != nil {
		return true
	}
	prometheus.DefaultRegisterer.Unregister(probe)
	return false
}

// knownSeries lists the series names the dashboard may use: the vpce plugin's and coreSeries,
// with the _bucket, _sum and _count series of histograms and summaries.
func knownSeries(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	families := vpceFamilies(t)
	for name, kind := range coreSeries {
		families[name] = kind
	}
	for name, kind := range families {
		if !registered(name) {
			t.Errorf("metric %s is not registered by this build", name)
		}
		switch kind {
		case "histogram":
			known[name+"_bucket"], known[name+"_sum"], known[name+"_count"] = true, true, true
		case "summary":
			known[name], known[name+"_sum"], known[name+"_count"] = true, true, true
		default:
			known[name] = true
		}
	}
	return known
}

var seriesName = regexp.MustCompile(`(?:^|[^A-Za-z0-9_:])(coredns_[A-Za-z0-9_:]*)`)

// dashboardProblems lists what is wrong with a Grafana dashboard: unparsable JSON, panels
// without queries or with the same id, queries of series not in known.
func dashboardProblems(data []byte, known map[string]bool) []string {
	var problems []string
	var dash struct {
		UID        string            `json:"uid"`
		Title      string            `json:"title"`
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		return []string{err.Error()}
	}
	if dash.UID == "" || dash.Title == "" {
		problems = append(problems, "the dashboard needs a uid and a title")
	}
	var exprs []string
	for _, v := range dash.Templating.List {
		switch q := v.Query.(type) {
		case string:
			exprs = append(exprs, q)
		case map[string]any:
			if s, ok := q["query"].(string); ok {
				exprs = append(exprs, s)
			}
		}
	}
	ids := map[float64]bool{}
	var queries int
	for _, raw := range dash.Panels {
		var p struct {
			ID      float64 `json:"id"`
			Type    string  `json:"type"`
			Title   string  `json:"title"`
			Targets []struct {
				Expr       string `json:"expr"`
				Datasource struct {
					UID string `json:"uid"`
				} `json:"datasource"`
			} `json:"targets"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if ids[p.ID] {
			problems = append(problems, fmt.Sprintf("panel id %v used twice", p.ID))
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			problems = append(problems, fmt.Sprintf("panel %q has no query", p.Title))
		}
		for _, target := range p.Targets {
			if strings.TrimSpace(target.Expr) == "" {
				problems = append(problems, fmt.Sprintf("panel %q: a query without expr", p.Title))
			}
			if target.Datasource.UID != "${datasource}" {
				problems = append(problems, fmt.Sprintf("panel %q: datasource %q, want ${datasource}", p.Title, target.Datasource.UID))
			}
			exprs = append(exprs, target.Expr)
			queries++
		}
	}
	if queries == 0 {
		problems = append(problems, "no panel queries anything")
	}
	for _, expr := range exprs {
		for _, m := range seriesName.FindAllStringSubmatch(expr, -1) {
			if !known[m[1]] {
				problems = append(problems, fmt.Sprintf("%s (in %q) is no series of this build", m[1], expr))
			}
		}
	}
	return problems
}

func TestDeployGrafanaDashboard(t *testing.T) {
	data := readDeployFile(t, deployDashboard)
	known := knownSeries(t)
	for _, p := range dashboardProblems(data, known) {
		t.Error(p)
	}
	// Every metric of the plugin should have a panel; not an error, a reminder.
	for name := range vpceFamilies(t) {
		if !bytes.Contains(data, []byte(name)) {
			t.Logf("no panel shows %s", name)
		}
	}
}
