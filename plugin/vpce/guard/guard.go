// Package guard keeps a panic in one step of the vpce plugin's background work (a refresh, an
// index build, a cache file write, a snapshot read, a gap report) from taking CoreDNS down. The
// query path does not use it: CoreDNS's server recovers ServeDNS for every plugin.
package guard

import (
	"fmt"
	"runtime/debug"

	"github.com/coredns/coredns/plugin"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The steps that recover from panics: the where label of panics_total.
const (
	Refresh   = "refresh"    // a poll of the EC2 API and the hand-over of what it read
	Build     = "build"      // an index build
	CacheFile = "cache_file" // a write of the cache file
	Snapshot  = "snapshot"   // a read of changed snapshot files and the hand-over
	GapReport = "gap_report" // a gap report summary
)

var log = clog.NewWithPlugin("vpce")

// panics counts recovered panics, each step's at zero from the start, so that the first
// panic shows as an increase.
var panics = func() *prometheus.CounterVec {
	c := promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: "vpce", Name: "panics_total",
		Help: "Panics recovered in the plugin's background work, by where (refresh, build, cache_file, snapshot, gap_report).",
	}, []string{"where"})
	for _, where := range []string{Refresh, Build, CacheFile, Snapshot, GapReport} {
		c.WithLabelValues(where)
	}
	return c
}()

// Step guards one step of background work: the step fails with an error instead of a panic,
// and whoever runs it handles that as any failure (the last good view stays, the step is tried
// again). The first panic is logged with its stack; later ones are only counted until the step
// runs without one, so that a step that panics on every attempt logs once. A Step serves one
// step, run by one goroutine at a time.
type Step struct{ panicking bool }

// Run runs step, and turns a panic in it into its error.
func (g *Step) Run(where string, step func() error) (err error) {
	defer func() {
		v := recover()
		if v == nil {
			g.panicking = false
			return
		}
		panics.WithLabelValues(where).Inc()
		if !g.panicking {
			log.Errorf("Recovered from a panic in %s (more are counted, not logged, until it runs without one): %v\n%s", where, v, debug.Stack())
		}
		g.panicking = true
		err = fmt.Errorf("panic in %s: %v", where, v)
	}()
	return step()
}
