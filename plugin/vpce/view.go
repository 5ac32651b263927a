package vpce

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/prometheus/client_golang/prometheus"
)

// sourceSink is the viewer's sink for its source i.
type sourceSink struct {
	vw *viewer
	i  int
}

func (s sourceSink) Update(inv *inventory.Inventory) error { return s.vw.update(s.i, inv) }
func (s sourceSink) Confirm()                              { s.vw.confirm(s.i) }

// viewer merges the latest inventory of each source of one plugin instance and publishes the
// index built from them all. Builds are serialised; queries never wait for one.
type viewer struct {
	opts    buildOptions
	sources []inventory.Source
	build   func(*inventory.Inventory, buildOptions) (*index, buildReport) // buildIndex, or a test's fault around it
	publish func(*index)
	cache   *inventory.CacheFile // nil without cache_file

	server string // the metrics' server label

	mu          sync.Mutex
	view        string                 // the view plugin's name of the server block, known at start-up
	parts       []*inventory.Inventory // by source, nil until that source delivered
	confirmed   []time.Time            // by source, when it last confirmed its inventory
	fallback    *inventory.Inventory   // the cache file's view, served until every source has delivered
	fallbackAt  time.Time              // when the cache file was written
	cacheFailed bool
	last        viewStats // of the published index, for the gauges
	buildGuard  guard.Step
	cacheGuard  guard.Step
}

// setView names the server block's view (set by the view plugin's setup, which runs after
// this plugin's) and labels the gauges with it.
func (vw *viewer) setView(name string) {
	vw.mu.Lock()
	defer vw.mu.Unlock()
	if vw.view == name {
		return
	}
	endpointsGauge.DeletePartialMatch(prometheus.Labels{"server": vw.server, "view": vw.view})
	namesGauge.DeletePartialMatch(prometheus.Labels{"server": vw.server, "view": vw.view})
	conflictsGauge.DeleteLabelValues(vw.server, vw.view)
	vw.view = name
	if vw.last.regions != nil {
		recordView(vw.server, vw.view, vw.last)
	}
}

func (vw *viewer) viewName() string {
	vw.mu.Lock()
	defer vw.mu.Unlock()
	return vw.view
}

// loadCache serves the cache file's view, if it has a good one, until the sources deliver.
func (vw *viewer) loadCache() {
	vw.mu.Lock()
	defer vw.mu.Unlock()
	inv, err := vw.cache.Load()
	if err == nil {
		err = vw.rebuild("cache file "+vw.cache.Path, []*inventory.Inventory{inv})
	}
	if err != nil {
		log.Warningf("Cache file ignored: %v", err)
		return
	}
	vw.fallback, vw.fallbackAt = inv, vw.cache.ModTime()
}

// update replaces source i's inventory and publishes the rebuilt index. If the build fails,
// nothing changes: the last good index keeps serving.
func (vw *viewer) update(i int, inv *inventory.Inventory) error {
	vw.mu.Lock()
	defer vw.mu.Unlock()
	vw.init()
	parts := slices.Clone(vw.parts)
	parts[i] = inv
	complete := !slicesContainsNil(parts)
	fallback := vw.fallback
	if complete {
		fallback = nil
	}
	if err := vw.rebuild(vw.sources[i].String(), append(parts, fallback)); err != nil {
		return err
	}
	vw.parts, vw.fallback, vw.confirmed[i] = parts, fallback, time.Now()
	if complete && vw.cache != nil {
		vw.saveCache()
	}
	return nil
}

// confirm records that source i found its inventory still current.
func (vw *viewer) confirm(i int) {
	vw.mu.Lock()
	defer vw.mu.Unlock()
	vw.init()
	vw.confirmed[i] = time.Now()
}

func (vw *viewer) init() {
	if vw.parts == nil {
		vw.parts = make([]*inventory.Inventory, len(vw.sources))
		vw.confirmed = make([]time.Time, len(vw.sources))
	}
}

// dataTime is when the data of the served view was last confirmed: the oldest confirmation
// among the sources that contribute, the cache file's for those still served from it.
func (vw *viewer) dataTime() (time.Time, bool) {
	vw.mu.Lock()
	defer vw.mu.Unlock()
	var oldest time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	for i := range vw.sources {
		switch {
		case vw.parts != nil && vw.parts[i] != nil:
			consider(vw.confirmed[i])
		case vw.fallback != nil:
			consider(vw.fallbackAt)
		}
	}
	return oldest, !oldest.IsZero()
}

// rebuild builds and publishes the index of parts: every source's part, and the cache file's
// view after them (the first of duplicate endpoints wins, so fresh data does). A build that
// panics publishes nothing.
func (vw *viewer) rebuild(cause string, parts []*inventory.Inventory) error {
	var ix *index
	var report buildReport
	if err := vw.buildGuard.Run(guard.Build, func() error {
		ix, report = vw.build(inventory.Merge(parts...), vw.opts)
		return nil
	}); err != nil {
		return err
	}
	for _, c := range report.conflicts {
		log.Warningf("Conflict: %s", c)
	}
	for _, s := range report.skipped {
		log.Warningf("Skipped: %s", s)
	}
	vw.publish(ix)
	vw.last = ix.stats
	recordView(vw.server, vw.view, ix.stats)
	log.Infof("View from %s: %d endpoints, %d names (%s)", cause, ix.stats.endpoints, ix.stats.total(), ix.stats)
	return nil
}

func (vw *viewer) saveCache() {
	err := vw.cacheGuard.Run(guard.CacheFile, func() error { return vw.cache.Save(inventory.Merge(vw.parts...)) })
	switch {
	case err != nil && !vw.cacheFailed:
		log.Errorf("Cache file not written, serving goes on: %v", err)
	case err == nil && vw.cacheFailed:
		log.Infof("Cache file written again")
	}
	vw.cacheFailed = err != nil
}

// run runs every source until ctx ends.
func (vw *viewer) run(ctx context.Context, wg *sync.WaitGroup) {
	for i, src := range vw.sources {
		wg.Go(func() { src.Run(ctx, sourceSink{vw, i}) })
	}
}

func slicesContainsNil(parts []*inventory.Inventory) bool {
	for _, p := range parts {
		if p == nil {
			return true
		}
	}
	return false
}

func (s viewStats) total() int {
	n := 0
	for _, c := range s.names {
		n += c
	}
	return n
}

func (s viewStats) String() string {
	parts := make([]string, 0, numKinds)
	for k := range numKinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.names[k]))
	}
	return strings.Join(parts, ", ")
}
