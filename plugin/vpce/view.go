package vpce

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// source is where inventories come from: snapshot files or an account's EC2 API. A source
// delivers whole inventories only, never a partial one, through publish until ctx ends.
type source interface {
	run(ctx context.Context, publish func(*Inventory))
	String() string
}

// viewer merges the latest inventory of each source of one plugin instance and publishes the
// index built from them all. Builds are serialised; queries never wait for one.
type viewer struct {
	opts    buildOptions
	sources []source
	publish func(*index)
	cache   *cacheFile // nil without cache_file

	mu          sync.Mutex
	parts       []*Inventory // by source, nil until that source delivered
	fallback    *Inventory   // the cache file's view, served until every source has delivered
	cacheFailed bool
}

// loadCache serves the cache file's view, if it has a good one, until the sources deliver.
func (vw *viewer) loadCache() {
	inv, err := vw.cache.load()
	if err != nil {
		log.Warningf("Cache file ignored: %v", err)
		return
	}
	vw.mu.Lock()
	defer vw.mu.Unlock()
	vw.fallback = inv
	vw.rebuild("cache file " + vw.cache.path)
}

// update replaces source i's inventory and publishes the rebuilt index.
func (vw *viewer) update(i int, inv *Inventory) {
	vw.mu.Lock()
	defer vw.mu.Unlock()
	if vw.parts == nil {
		vw.parts = make([]*Inventory, len(vw.sources))
	}
	vw.parts[i] = inv
	complete := !slicesContainsNil(vw.parts)
	if complete {
		vw.fallback = nil
	}
	vw.rebuild(vw.sources[i].String())
	if complete && vw.cache != nil {
		vw.saveCache()
	}
}

// rebuild builds and publishes the index of every source's part, and the cache file's view
// after them (the first of duplicate endpoints wins, so fresh data does).
func (vw *viewer) rebuild(cause string) {
	parts := append(append([]*Inventory(nil), vw.parts...), vw.fallback)
	ix, report := buildIndex(merge(parts...), vw.opts)
	for _, c := range report.conflicts {
		log.Warningf("Conflict: %s", c)
	}
	for _, s := range report.skipped {
		log.Warningf("Skipped: %s", s)
	}
	vw.publish(ix)
	log.Infof("View from %s: %d endpoints, %d names (%s)", cause, ix.stats.endpoints, ix.stats.total(), ix.stats)
}

func (vw *viewer) saveCache() {
	err := vw.cache.save(merge(vw.parts...))
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
		wg.Go(func() { src.run(ctx, func(inv *Inventory) { vw.update(i, inv) }) })
	}
}

func slicesContainsNil(parts []*Inventory) bool {
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
