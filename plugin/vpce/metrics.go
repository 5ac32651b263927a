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
	endpointsGauge = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: pluginName, Name: "endpoints",
		Help: "Endpoints served in the current view, by region and type (Interface, index.Resource, ServiceNetwork).",
	}, []string{"server", "view", "region", "type"})
	namesGauge = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: pluginName, Name: "names",
		Help: "DNS names served in the current view, by region and kind (regional, zonal, private, resource).",
	}, []string{"server", "view", "region", "kind"})
	conflictsGauge = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: pluginName, Name: "conflicts",
		Help: "Private DNS names offered by more than one endpoint in the current view.",
	}, []string{"server", "view"})
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

// recordIndex sets the gauges of a server block (server, and the view plugin's view name, so
// that several blocks on one address keep their own) from a newly published index.
func recordIndex(server, view string, s index.Stats) {
	block := prometheus.Labels{"server": server, "view": view}
	endpointsGauge.DeletePartialMatch(block)
	namesGauge.DeletePartialMatch(block)
	for region, rs := range s.Regions {
		for t := range index.NumEndpointTypes {
			endpointsGauge.WithLabelValues(server, view, region, t.String()).Set(float64(rs.Endpoints[t]))
		}
		for k := range index.NumKinds {
			namesGauge.WithLabelValues(server, view, region, k.String()).Set(float64(rs.Names[k]))
		}
	}
	conflictsGauge.WithLabelValues(server, view).Set(float64(s.Conflicts))
}

// dataAges reports view_age_seconds when scraped: the age of each server's index is only known
// then. During a reload two instances serve one server for a moment; the younger index counts.
var dataAges = mustRegister(&ageCollector{
	desc: prometheus.NewDesc(prometheus.BuildFQName(plugin.Namespace, pluginName, "view_age_seconds"),
		"Seconds since the data of the served view was last confirmed by its sources.", []string{"server", "view"}, nil),
	mergers: map[*merger]struct{}{},
})

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

type ageCollector struct {
	desc    *prometheus.Desc
	mu      sync.Mutex
	mergers map[*merger]struct{}
}

func (c *ageCollector) add(m *merger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mergers[m] = struct{}{}
}

func (c *ageCollector) remove(m *merger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.mergers, m)
}

// Describe implements prometheus.Collector.
func (c *ageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *ageCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	type block struct{ server, view string }
	youngest := map[block]time.Time{}
	for m := range c.mergers {
		b := block{m.server, m.viewName()}
		if t, ok := m.dataTime(); ok && t.After(youngest[b]) {
			youngest[b] = t
		}
	}
	c.mu.Unlock()
	now := time.Now()
	for b, t := range youngest {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, now.Sub(t).Seconds(), b.server, b.view)
	}
}
