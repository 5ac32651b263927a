package vpce

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/miekg/dns"

	"github.com/prometheus/client_golang/prometheus"
)

// inventoryNamed is an inventory of one endpoint with the private name name.
func inventoryNamed(n int, name, addr string) *inventory.Compact {
	fake := ec2fake.New()
	testkit.PutEndpoint(fake, n, "vpc-1", name, addr)
	return inventoryOf(fake)
}

// heldBuilds is a merger's build that, once armed, blocks each build until released.
type heldBuilds struct {
	armed   bool // set before the updates that are to block
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

// newHeldBuilds releases the builds when the test ends, failed or not, so that nothing waits
// for them then.
func newHeldBuilds(t *testing.T) *heldBuilds {
	h := &heldBuilds{started: make(chan struct{}, 10), release: make(chan struct{})}
	t.Cleanup(h.free)
	return h
}

func (h *heldBuilds) free() { h.once.Do(func() { close(h.release) }) }

func (h *heldBuilds) build(inv *inventory.Compact, opts index.Options) (*index.Index, index.Report) {
	if h.armed {
		h.started <- struct{}{}
		<-h.release
	}
	return index.Build(inv, opts)
}

// returns fails the test unless f returns within a few seconds.
func returns(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s waits for a build", what)
	}
}

func serves(v *VPCE, name string) bool {
	_, _, res := v.index.Load().Lookup([]byte(name))
	return res == index.Answer
}

// TestScrapeDuringBuild checks that a scrape, a confirmation and the view's name do not wait
// for a build.
func TestScrapeDuringBuild(t *testing.T) {
	testkit.CaptureLog(t)
	v := newBareVPCE(nextPlugin, ".")
	v.merger = &merger{sources: []inventory.Source{&inventory.Files{}}, server: "dns://:5302", publish: v.index.Store}
	views.add(v.merger)
	t.Cleanup(func() { views.remove(v.merger) })
	h := newHeldBuilds(t) // released before the merger is removed
	v.merger.build = h.build
	if err := v.merger.update(0, inventoryNamed(1, "one.example.com", "10.0.0.1")); err != nil {
		t.Fatal(err)
	}

	h.armed = true
	updated := make(chan error, 1)
	go func() { updated <- v.merger.update(0, inventoryNamed(2, "two.example.com", "10.0.0.2")) }()
	<-h.started
	returns(t, "a scrape", func() {
		families, err := prometheus.DefaultGatherer.Gather()
		if err != nil {
			t.Error(err)
		}
		found := false
		for _, f := range families {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					found = found || f.GetName() == "coredns_vpce_view_age_seconds" && l.GetValue() == v.merger.server
				}
			}
		}
		if !found {
			t.Error("no view_age_seconds of the server")
		}
	})
	returns(t, "a confirmation", func() { v.merger.confirm(0) })
	returns(t, "the view's name", func() { v.merger.setView("inside") })
	if !serves(v, "one.example.com.") {
		t.Error("the old index does not serve while the new one is built")
	}
	h.free()
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
	if !serves(v, "two.example.com.") || serves(v, "one.example.com.") {
		t.Error("the new index is not served")
	}
}

// TestUpdatesInOrder checks that builds are serialised: an update that arrives during a build
// waits for it, and the last update's index is the one served, with every source's part.
func TestUpdatesInOrder(t *testing.T) {
	testkit.CaptureLog(t)
	h := newHeldBuilds(t)
	v := newBareVPCE(nextPlugin, ".")
	v.merger = &merger{sources: []inventory.Source{&inventory.Files{}, &inventory.Files{}}, build: h.build, publish: v.index.Store}
	h.armed = true

	first := make(chan error, 1)
	go func() { first <- v.merger.update(0, inventoryNamed(1, "one.example.com", "10.0.0.1")) }()
	<-h.started
	later := make(chan error, 2)
	go func() { later <- v.merger.update(0, inventoryNamed(2, "two.example.com", "10.0.0.2")) }()
	go func() { later <- v.merger.update(1, inventoryNamed(3, "three.example.com", "10.0.0.3")) }()
	select {
	case <-h.started:
		t.Fatal("a second build began during the first")
	case err := <-later:
		t.Fatalf("an update returned during an earlier build: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	h.free()
	for _, c := range []chan error{first, later, later} {
		if err := <-c; err != nil {
			t.Fatal(err)
		}
	}
	if !serves(v, "two.example.com.") || !serves(v, "three.example.com.") || serves(v, "one.example.com.") {
		t.Error("the last update's index is not served")
	}
}

// TestSharedNamesLoggedOnce: a name offered in several VPCs is one info line when it is first
// shared, not one every build.
func TestSharedNamesLoggedOnce(t *testing.T) {
	logs := testkit.CaptureLog(t)
	m := &merger{opts: index.Options{TTL: 60}, build: index.Build, publish: func(*index.Index) {}}
	vpcs := testkit.Compact(t, "testdata/vpcs.json")
	for range 3 {
		if _, err := m.rebuild([]*inventory.Compact{vpcs}); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "Shared name: ssm.us-east-1.amazonaws.com."); n != 1 {
		t.Errorf("ssm's line logged %d times in 3 builds, want once:\n%s", n, logs)
	}
	if n := strings.Count(logs.String(), "Conflict: ssm.us-east-1.amazonaws.com."); n != 3 {
		t.Errorf("ssm's conflict logged %d times in 3 builds, want every build", n)
	}
}

// idleSource is a source the test speaks for: it never runs.
type idleSource string

func (s idleSource) Run(context.Context, inventory.Sink) {}
func (s idleSource) String() string                      { return string(s) }

// TestMergerSourcesAndCacheFile: the cache file's view serves until every source has
// delivered, under the sources' fresher copies; once all have, it is dropped, the view is the
// sources' alone, and the cache file holds it.
func TestMergerSourcesAndCacheFile(t *testing.T) {
	testkit.CaptureLog(t)
	const old, stale, fresh, other = "old.example.com.", "stale.example.com.", "fresh.example.com.", "other.example.com."
	path := filepath.Join(t.TempDir(), "vpce.json")
	cache := inventory.NewCacheFile(path, inventory.DefaultLimits)
	cached := inventory.MergeCompact(inventoryNamed(1, old, "10.0.0.1"), inventoryNamed(2, stale, "10.0.0.2"))
	if err := cache.Save(cached); err != nil {
		t.Fatal(err)
	}
	var served *index.Index
	m := &merger{opts: index.Options{TTL: 60}, build: index.Build, publish: func(ix *index.Index) { served = ix },
		sources: []inventory.Source{idleSource("a"), idleSource("b")}, cache: cache}
	answers := func(names ...string) string {
		var out []string
		for _, n := range names {
			set, _, res := served.Lookup([]byte(n))
			if res != index.Answer {
				out = append(out, n+" -")
				continue
			}
			served.Addrs(served.RRset(set), dns.TypeA, 0, nil, func(ip net.IP) { out = append(out, n+" "+ip.String()) })
		}
		return strings.Join(out, ", ")
	}
	all := []string{old, stale, fresh, other}

	m.loadCache()
	if got, want := answers(all...), "old.example.com. 10.0.0.1, stale.example.com. 10.0.0.2, fresh.example.com. -, other.example.com. -"; got != want {
		t.Errorf("from the cache file: %s\nwant %s", got, want)
	}
	// Source a's endpoint 1 has moved; b has not delivered: the cache file's endpoint 2 serves on.
	if err := m.update(0, inventory.MergeCompact(inventoryNamed(1, old, "10.1.0.1"), inventoryNamed(3, fresh, "10.1.0.3"))); err != nil {
		t.Fatal(err)
	}
	if got, want := answers(all...), "old.example.com. 10.1.0.1, stale.example.com. 10.0.0.2, fresh.example.com. 10.1.0.3, other.example.com. -"; got != want {
		t.Errorf("a delivered: %s\nwant %s", got, want)
	}
	if err := m.update(1, inventoryNamed(4, other, "10.2.0.4")); err != nil {
		t.Fatal(err)
	}
	if got, want := answers(all...), "old.example.com. 10.1.0.1, stale.example.com. -, fresh.example.com. 10.1.0.3, other.example.com. 10.2.0.4"; got != want {
		t.Errorf("both delivered: %s\nwant %s", got, want)
	}
	inv, err := cache.Load()
	if err != nil {
		t.Fatal(err)
	}
	ix, _ := index.Build(inv, index.Options{TTL: 60})
	served = ix
	if got, want := answers(all...), "old.example.com. 10.1.0.1, stale.example.com. -, fresh.example.com. 10.1.0.3, other.example.com. 10.2.0.4"; got != want {
		t.Errorf("the cache file written: %s\nwant %s", got, want)
	}
}

// A cache file write that is slow (a large view on a slow disk) does not hold up the next
// build: it is published while the write goes on, and written after it, in order.
func TestCacheWriteDoesNotHoldBuilds(t *testing.T) {
	testkit.CaptureLog(t)
	path := filepath.Join(t.TempDir(), "vpce.json")
	v := newBareVPCE(nextPlugin, ".")
	writing, release := make(chan struct{}, 1), make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	held := true
	v.merger = &merger{opts: index.Options{TTL: 60}, build: index.Build, publish: v.index.Store, sources: []inventory.Source{idleSource("a")},
		cache: inventory.NewCacheFile(path, inventory.DefaultLimits), fault: func(step string) {
			if step == guard.CacheFile && held {
				held = false
				writing <- struct{}{}
				<-release
			}
		}}
	first := make(chan error, 1)
	go func() { first <- v.merger.update(0, inventoryNamed(1, "one.example.com", "10.0.0.1")) }()
	<-writing
	second := make(chan error, 1)
	go func() { second <- v.merger.update(0, inventoryNamed(2, "two.example.com", "10.0.0.2")) }()
	testkit.Eventually(t, 5*time.Second, func() error {
		if !serves(v, "two.example.com.") {
			return errors.New("the second view is not served while the first is being written")
		}
		return nil
	})
	once.Do(func() { close(release) })
	for _, c := range []chan error{first, second} {
		if err := <-c; err != nil {
			t.Fatal(err)
		}
	}
	inv, err := inventory.NewCacheFile(path, inventory.DefaultLimits).Load()
	if err != nil || len(inv.Endpoints) != 1 || !slices.Contains(inv.Endpoints[0].DNSNames, "two.example.com") {
		t.Errorf("the cache file does not hold the last view: %v %+v", err, inv)
	}
}
