package vpce

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// source is where inventories come from: snapshot files or the EC2 API. A source delivers
// whole inventories only, never a partial one, through publish until ctx ends.
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

	mu    sync.Mutex
	parts []*Inventory // by source, nil until that source delivered
}

// update replaces source i's inventory and publishes the rebuilt index.
func (vw *viewer) update(i int, inv *Inventory) {
	vw.mu.Lock()
	defer vw.mu.Unlock()
	if vw.parts == nil {
		vw.parts = make([]*Inventory, len(vw.sources))
	}
	vw.parts[i] = inv
	ix, report := buildIndex(merge(vw.parts...), vw.opts)
	for _, c := range report.conflicts {
		log.Warningf("Conflict: %s", c)
	}
	for _, s := range report.skipped {
		log.Warningf("Skipped: %s", s)
	}
	vw.publish(ix)
	log.Infof("View from %s: %d endpoints, %d names (%s)", vw.sources[i], ix.stats.endpoints, ix.stats.total(), ix.stats)
}

// run runs every source until ctx ends.
func (vw *viewer) run(ctx context.Context, wg *sync.WaitGroup) {
	for i, src := range vw.sources {
		wg.Go(func() { src.run(ctx, func(inv *Inventory) { vw.update(i, inv) }) })
	}
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
