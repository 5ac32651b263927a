package vpce

import (
	"context"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/fault"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/rpz"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// sourceSink is the merger's sink for its source i.
type sourceSink struct {
	m *merger
	i int
}

func (s sourceSink) Update(inv *inventory.Compact) error { return s.m.update(s.i, inv) }
func (s sourceSink) Confirm()                            { s.m.confirm(s.i) }

// merger merges the latest inventory of each source of one plugin instance and publishes the
// index built from them all. Builds are serialised; queries never wait for one, and neither
// do scrapes, confirmations and the view's name: a build runs outside mu, which guards the
// swap and the bookkeeping only.
type merger struct {
	opts    index.Options
	sources []inventory.Source
	build   func(*inventory.Compact, index.Options) (*index.Index, index.Report) // index.Build, or a test's slow one
	publish func(*index.Index)
	// rpz sees each published index after publish, outside mu and in publishing order: the
	// Response Policy Zone (rpz.go) walks the whole view. nil without the rpz option.
	rpz   *rpzZone
	cache *inventory.CacheFile // nil without cache_file
	// fault is an integration test's (internal/fault), run as each build, cache file write
	// and, through run's context, refresh of the EC2 API begins; nil outside those tests.
	fault fault.Hook

	releaseMemory bool   // release_memory: return a large inventory's memory after its build
	server        string // the metrics' server label
	zones         string // the metrics' zones label: the block's zones, comma-separated

	// building is held from reading the parts to publishing the index built from them, so that
	// an index is never replaced by one built from older parts. It guards the two fields
	// below; parts and fallback change under both locks and are read under either.
	building   sync.Mutex
	shared     map[string]struct{} // the report's lines of shared names logged: each is logged once
	buildGuard guard.Step
	// writing is taken before building is let go, for what follows a publication: the rpz
	// zone's walk and the cache file's write. They keep the order of the builds, and the next
	// build does not wait for them (hand over hand). It guards the two fields below.
	writing     sync.Mutex
	cacheFailed bool
	cacheGuard  guard.Step

	mu        sync.Mutex
	view      string // the view plugin's name of the server block, known at start-up
	delivered []bool // by source, whether it has delivered an inventory
	// parts are the sources' latest inventories, kept for the next build when there are
	// several sources (a single source's next inventory replaces everything).
	parts      []*inventory.Compact
	confirmed  []time.Time        // by source, when it last confirmed its inventory
	fallback   *inventory.Compact // the cache file's inventory, served until every source has delivered
	fallbackAt time.Time          // when the cache file was written
	last       index.Stats        // of the published index, for the gauges
	lastAt     time.Time          // when it was published
}

// setView names the server block's view (set by the view plugin's setup, which runs after
// this plugin's), for the gauges' labels.
func (m *merger) setView(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.view = name
}

// viewState is what the gauges report of a merger's view.
type viewState struct {
	view      string
	stats     index.Stats // of the published index
	published time.Time   // when it was published; zero before the first
	data      time.Time   // when its data was last confirmed (dataTime); zero if never
	rpz       *rpz.Zone   // the rpz zone published, nil if none
}

func (m *merger) viewState() viewState {
	data, _ := m.dataTime()
	m.mu.Lock()
	defer m.mu.Unlock()
	v := viewState{view: m.view, stats: m.last, published: m.lastAt, data: data}
	if m.rpz != nil {
		v.rpz = m.rpz.current.Load()
	}
	return v
}

func (m *merger) viewName() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.view
}

// loadCache serves the cache file's inventory, if it has a good one, until the sources deliver.
func (m *merger) loadCache() {
	m.building.Lock()
	defer m.building.Unlock()
	inv, err := m.cache.Load()
	var ix *index.Index
	if err == nil {
		ix, err = m.rebuild([]*inventory.Compact{inv})
	}
	if err != nil {
		log.Warningf("Cache file ignored: %v", err)
		return
	}
	m.mu.Lock()
	m.swap(ix)
	m.fallback, m.fallbackAt = inv, m.cache.ModTime()
	m.mu.Unlock()
	logView("cache file "+m.cache.Path, ix)
	m.followView(ix)
}

// update replaces source i's inventory and publishes the rebuilt index. If the build fails,
// nothing changes: the last good index keeps serving. Once built, the inventory is dropped or,
// when other sources' will be merged with it again, kept: the index holds what serves.
func (m *merger) update(i int, inv *inventory.Compact) error {
	m.building.Lock()
	ix, parts, complete, err := m.rebuildWith(i, inv)
	if err != nil {
		m.building.Unlock()
		return err
	}
	m.writing.Lock() // before the next build may publish: hand over hand
	m.building.Unlock()
	defer m.writing.Unlock()
	logView(m.sources[i].String(), ix)
	m.followView(ix)
	if complete && m.cache != nil {
		m.saveCache(parts)
	}
	if m.releaseMemory && len(inv.Endpoints) >= releaseAt {
		time.AfterFunc(releaseAfter, debug.FreeOSMemory)
	}
	return nil
}

// rebuildWith builds and publishes the index of source i's inventory inv with the other
// sources' latest (and the cache file's, until every source has delivered). It returns the
// sources' inventories and whether all of them have delivered. m.building is held.
func (m *merger) rebuildWith(i int, inv *inventory.Compact) (ix *index.Index, parts []*inventory.Compact, complete bool, err error) {
	m.mu.Lock()
	m.init()
	parts, delivered, fallback := slices.Clone(m.parts), slices.Clone(m.delivered), m.fallback
	m.mu.Unlock()
	parts[i], delivered[i] = inv, true
	complete = !slices.Contains(delivered, false)
	if complete {
		fallback = nil
	}
	if ix, err = m.rebuild(append(parts, fallback)); err != nil {
		return nil, nil, false, err
	}
	kept := slices.Clone(parts)
	if len(m.sources) == 1 {
		kept[i] = nil
	}
	m.mu.Lock()
	m.swap(ix)
	m.parts, m.delivered, m.fallback, m.confirmed[i] = kept, delivered, fallback, time.Now()
	m.mu.Unlock()
	return ix, parts, complete, nil
}

// A large inventory is garbage soon after its build: once its source has moved on (a second is
// ample). The heap grew to hold it, and Go would collect it only when the heap doubled again, so
// a resolver at rest would keep the memory of its last read. With release_memory (the default)
// it is collected then and returned to the operating system instead: at rest the process holds
// the index, little more (BENCHMARKS.md: 105 MB instead of 423 MB at 100,000 endpoints). It is a
// collection of the whole process, which a build that embeds the plugin may not want.
const (
	releaseAt    = 10_000 // endpoints in an inventory
	releaseAfter = time.Second
)

// confirm records that source i found its inventory still current.
func (m *merger) confirm(i int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.confirmed[i] = time.Now()
}

func (m *merger) init() {
	if m.parts == nil {
		m.parts = make([]*inventory.Compact, len(m.sources))
		m.delivered = make([]bool, len(m.sources))
		m.confirmed = make([]time.Time, len(m.sources))
	}
}

// dataTime is when the data of the served index was last confirmed: the oldest confirmation
// among the sources that contribute, the cache file's for those still served from it.
func (m *merger) dataTime() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var oldest time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	for i := range m.sources {
		switch {
		case m.delivered != nil && m.delivered[i]:
			consider(m.confirmed[i])
		case m.fallback != nil:
			consider(m.fallbackAt)
		}
	}
	return oldest, !oldest.IsZero()
}

// rebuild builds the index of parts: every source's part, and the cache file's inventory after
// them (the first of duplicate endpoints wins, so fresh data does). A build that panics gives
// an error. m.building is held, m.mu is not.
func (m *merger) rebuild(parts []*inventory.Compact) (*index.Index, error) {
	var ix *index.Index
	var report index.Report
	if err := m.buildGuard.Run(guard.Build, func() error {
		m.fault.At(guard.Build)
		ix, report = m.build(inventory.MergeCompact(parts...), m.opts)
		return nil
	}); err != nil {
		return nil, err
	}
	shared := make(map[string]struct{}, len(report.Shared))
	for _, n := range report.Shared {
		if _, logged := m.shared[n]; !logged {
			log.Infof("Shared name: %s", n)
		}
		shared[n] = struct{}{}
	}
	m.shared = shared
	for _, c := range report.Conflicts {
		log.Warningf("Conflict: %s", c)
	}
	for _, s := range report.Skipped {
		log.Warningf("Skipped: %s", s)
	}
	return ix, nil
}

// swap publishes ix and keeps its statistics for the gauges. m.mu is held.
func (m *merger) swap(ix *index.Index) {
	m.publish(ix)
	m.last, m.lastAt = ix.Stats(), time.Now()
}

// followView hands ix to the rpz zone, if any. m.writing is held, or the sources have not
// started.
func (m *merger) followView(ix *index.Index) {
	if m.rpz != nil {
		m.rpz.follow(ix)
	}
}

func logView(cause string, ix *index.Index) {
	log.Infof("View from %s: %d endpoints, %d names (%s)", cause, ix.Stats().Endpoints, ix.Stats().Total(), ix.Stats())
}

// saveCache writes parts, the sources' latest inventories, to the cache file. m.writing is held.
func (m *merger) saveCache(parts []*inventory.Compact) {
	err := m.cacheGuard.Run(guard.CacheFile, func() error {
		m.fault.At(guard.CacheFile)
		return m.cache.Save(inventory.MergeCompact(parts...))
	})
	switch {
	case err != nil && !m.cacheFailed:
		log.Errorf("Cache file not written, serving goes on: %v", err)
	case err == nil && m.cacheFailed:
		log.Infof("Cache file written again")
	}
	m.cacheFailed = err != nil
}

// run runs every source until ctx ends.
func (m *merger) run(ctx context.Context, wg *sync.WaitGroup) {
	ctx = fault.NewContext(ctx, m.fault)
	for i, src := range m.sources {
		wg.Go(func() { src.Run(ctx, sourceSink{m, i}) })
	}
}
