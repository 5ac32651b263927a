package remote

import (
	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The remote snapshots' metrics. The source label is bounded by the Corefile: a location
// without its query.
var (
	refreshes = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: "vpce", Name: "snapshot_refreshes_total",
		Help: "Checks of S3 and URL snapshots, by source and result (changed, unchanged, failed).",
	}, []string{"source", "result"})
	bytesRead = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: "vpce", Name: "snapshot_bytes_read_total",
		Help: "Bytes of S3 and URL snapshots read, as transferred (compressed if they are), by source.",
	}, []string{"source"})
)

// Results of a check: the result label of snapshot_refreshes_total.
const (
	changed   = "changed"
	unchanged = "unchanged"
	failed    = "failed"
)

// counters are one source's, resolved once and created at zero.
type counters struct {
	results map[string]prometheus.Counter
	bytes   prometheus.Counter
}

func newCounters(source string) counters {
	c := counters{results: map[string]prometheus.Counter{}, bytes: bytesRead.WithLabelValues(source)}
	for _, r := range []string{changed, unchanged, failed} {
		c.results[r] = refreshes.WithLabelValues(source, r)
	}
	return c
}
