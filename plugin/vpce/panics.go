package vpce

import (
	"fmt"
	"runtime/debug"
)

// The steps of the plugin's background work that recover from panics: the where label of
// panics_total, each at zero from the start (atZero). ServeDNS does not recover: CoreDNS's
// server does, for every plugin.
const (
	inRefresh   = "refresh"    // a poll of the EC2 API and the hand-over of what it read
	inBuild     = "build"      // an index build
	inCacheFile = "cache_file" // a write of the cache file
	inSnapshot  = "snapshot"   // a read of changed snapshot files and the hand-over
	inGapReport = "gap_report" // a gap report summary
)

// guard keeps a panic in one step of background work from taking CoreDNS down: the step
// fails with an error instead, and whoever runs it handles that as any failure (the last good
// index stays, the step is tried again). The first panic is logged with its stack; later ones
// are only counted until the step runs without one, so that a step that panics on every
// attempt logs once. A guard serves one step, run by one goroutine at a time.
type guard struct{ panicking bool }

// run runs step, and turns a panic in it into its error.
func (g *guard) run(where string, step func() error) (err error) {
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
