package vpce

import (
	"sync"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The plugin's metrics. Labels are bounded: server by the Corefile, region by AWS's regions,
// kind, result and where by the code, operation and code by the EC2 API's actions and error codes.
var (
	answers = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: pluginName, Name: "answers_total",
		Help: "Queries answered, by kind of name and result (answer, nodata, nxdomain).",
	}, []string{"server", "kind", "result"})
	passed = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: pluginName, Name: "passed_total",
		Help: "Queries handed to the next plugin.",
	}, []string{"server"})
)

// queryCounters are one server's query counters, resolved once so that counting a query is
// an atomic add, without a label lookup.
type queryCounters struct {
	server  string
	answers [index.NumKinds][index.NumAnswered]prometheus.Counter
	passed  prometheus.Counter
}

func newQueryCounters(server string) *queryCounters {
	qc := &queryCounters{server: server, passed: passed.WithLabelValues(server)}
	for k := range index.NumKinds {
		for r := range index.NumAnswered {
			qc.answers[k][r] = answers.WithLabelValues(server, k.String(), r.String())
		}
	}
	return qc
}

// counters returns the counters of server, the server label CoreDNS put in the context.
func (v *VPCE) counters(server string) *queryCounters {
	if qc := v.qc.Load(); qc != nil && qc.server == server {
		return qc
	}
	qc := newQueryCounters(server)
	v.qc.Store(qc)
	return qc
}

// views reports the gauges of every running instance's view when scraped: endpoints, names,
// conflicts, view_age_seconds and rpz_serial, by block (server, view and zones, which tell apart the server
// blocks of one address). A stopped instance's series go with it. During a reload two
// instances serve one block for a moment; the younger view counts.
var views = mustRegister(newViewCollector())

func newViewCollector() *viewCollector {
	labels := func(more ...string) []string { return append([]string{"server", "view", "zones"}, more...) }
	return &viewCollector{
		mergers: map[*merger]struct{}{},
		endpoints: prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "endpoints"),
			"Endpoints served in the current view, by region and type (Interface, Resource, ServiceNetwork).", labels("region", "type"), nil),
		names: prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "names"),
			"DNS names served in the current view, by region and kind (regional, zonal, private, resource).", labels("region", "kind"), nil),
		conflicts: prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "conflicts"),
			"Private DNS names offered by more than one endpoint in one VPC in the current view.", labels(), nil),
		age: prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "view_age_seconds"),
			"Seconds since the data of the served view was last confirmed by its sources.", labels(), nil),
		serial: prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "rpz_serial"),
			"The SOA serial of the view's Response Policy Zone (rpz), which its secondaries should reach.", labels("zone"), nil),
	}
}

// mustRegister registers c with the default registry, as promauto does the other metrics.
func mustRegister[C prometheus.Collector](c C) C {
	prometheus.MustRegister(c)
	return c
}

// atZero creates the counters of a one-label vector's values at zero, so that the first
// increment of each shows as an increase.
func atZero(vec *prometheus.CounterVec, values ...string) *prometheus.CounterVec {
	for _, v := range values {
		vec.WithLabelValues(v)
	}
	return vec
}

type viewCollector struct {
	mu                               sync.Mutex
	mergers                          map[*merger]struct{}
	endpoints, names, conflicts, age *prometheus.Desc
	serial                           *prometheus.Desc
}

func (c *viewCollector) add(m *merger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mergers[m] = struct{}{}
}

func (c *viewCollector) remove(m *merger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.mergers, m)
}

// Describe implements prometheus.Collector.
func (c *viewCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.endpoints, c.names, c.conflicts, c.age, c.serial} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *viewCollector) Collect(ch chan<- prometheus.Metric) {
	type block struct{ server, view, zones string }
	blocks := map[block]viewState{}
	c.mu.Lock()
	for m := range c.mergers {
		v := m.viewState()
		b := block{m.server, v.view, m.zones}
		if prev, ok := blocks[b]; v.published.IsZero() || ok && !v.published.After(prev.published) {
			continue // nothing served yet, or an older instance's view
		}
		blocks[b] = v
	}
	c.mu.Unlock()
	now := time.Now()
	for b, v := range blocks {
		for region, rs := range v.stats.Regions {
			for t := range index.NumEndpointTypes {
				ch <- prometheus.MustNewConstMetric(c.endpoints, prometheus.GaugeValue, float64(rs.Endpoints[t]), b.server, b.view, b.zones, region, t.String())
			}
			for k := range index.NumKinds {
				ch <- prometheus.MustNewConstMetric(c.names, prometheus.GaugeValue, float64(rs.Names[k]), b.server, b.view, b.zones, region, k.String())
			}
		}
		ch <- prometheus.MustNewConstMetric(c.conflicts, prometheus.GaugeValue, float64(v.stats.Conflicts), b.server, b.view, b.zones)
		if !v.data.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, now.Sub(v.data).Seconds(), b.server, b.view, b.zones)
		}
		if v.rpz != nil {
			ch <- prometheus.MustNewConstMetric(c.serial, prometheus.GaugeValue, float64(v.rpz.Serial()), b.server, b.view, b.zones, v.rpz.Origin())
		}
	}
}
