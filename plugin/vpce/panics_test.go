package vpce

import (
	"context"
	"errors"
	stdlog "log"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/coredns-vpce/coredns-vpce/test/ec2fake"
)

// counted returns the value of the counter coredns_vpce_<name> with the given label pairs.
func counted(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "coredns_vpce_"+name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				for i := 0; i < len(labels); i += 2 {
					if l.GetName() == labels[i] && l.GetValue() != labels[i+1] {
						continue metrics
					}
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// recoveredLines counts the log lines of recovered panics in where.
func recoveredLines(logs *syncBuffer, where string) int {
	return strings.Count(logs.String(), "Recovered from a panic in "+where+" ")
}

// faultSwitch panics while armed, as the steps that call it begin.
type faultSwitch struct{ armed atomic.Bool }

func (f *faultSwitch) at() {
	if f.armed.Load() {
		panic("injected fault")
	}
}

func TestGuard(t *testing.T) {
	logs := captureLog(t)
	var g guard
	before := counted(t, "panics_total", "where", inSnapshot)
	boom := func() error { panic("boom") }
	failing := func() error { return errors.New("plain failure") }
	// A streak of panics logs once; a run without a panic (an error is not one) ends it.
	for i, step := range []struct {
		run               func() error
		wantErr           string
		wantCount, logged int
	}{
		{boom, "panic in snapshot: boom", 1, 1},
		{boom, "panic in snapshot: boom", 2, 1},
		{boom, "panic in snapshot: boom", 3, 1},
		{failing, "plain failure", 3, 1},
		{boom, "panic in snapshot: boom", 4, 2},
	} {
		err := g.run(inSnapshot, step.run)
		if err == nil || err.Error() != step.wantErr {
			t.Errorf("run %d: error %v, want %q", i, err, step.wantErr)
		}
		if n := counted(t, "panics_total", "where", inSnapshot) - before; n != float64(step.wantCount) {
			t.Errorf("run %d: %v panics counted, want %d", i, n, step.wantCount)
		}
		if n := recoveredLines(logs, inSnapshot); n != step.logged {
			t.Errorf("run %d: %d panics logged, want %d", i, n, step.logged)
		}
	}
	if !strings.Contains(logs.String(), "goroutine ") || !strings.Contains(logs.String(), "panics_test.go") {
		t.Errorf("no stack logged:\n%s", logs)
	}
}

// TestPollerRecoversFromPanics: a refresh or a build that panics fails the refresh: counted,
// logged once, nothing new served; the next attempt comes after the backoff, and once the
// panics stop the change is served.
func TestPollerRecoversFromPanics(t *testing.T) {
	for _, where := range []string{inRefresh, inBuild} {
		t.Run(where, func(t *testing.T) {
			logs := captureLog(t)
			fake, acct := fakeAccount(t)
			putEndpoint(fake, 1, "vpc-1", "one.example.com", "10.0.0.1")
			var refreshFault, buildFault faultSwitch
			f := map[string]*faultSwitch{inRefresh: &refreshFault, inBuild: &buildFault}[where]

			v := newBareVPCE(nextPlugin, ".")
			v.merger = &merger{sources: []source{apiSource{acct: acct}}, publish: v.index.Store,
				build: func(inv *inventory.Inventory, opts buildOptions) (*index, buildReport) {
					buildFault.at()
					return buildIndex(inv, opts)
				}}
			p := newPoller(acct, time.Minute, func(ctx context.Context, client ec2API, a account) (*inventory.Inventory, error) {
				refreshFault.at()
				return fetch(ctx, client, a)
			})
			// One refresh per step: the poller reports each wait and holds until told to go on.
			waits, wake := make(chan time.Duration), make(chan struct{})
			p.sleep = func(ctx context.Context, d time.Duration) bool {
				select {
				case waits <- d:
				case <-ctx.Done():
					return false
				}
				select {
				case <-wake:
					return true
				case <-ctx.Done():
					return false
				}
			}
			refreshed := func() time.Duration {
				t.Helper()
				select {
				case d := <-waits:
					return d
				case <-time.After(10 * time.Second):
					t.Fatal("no refresh")
					return 0
				}
			}
			next := func() time.Duration { wake <- struct{}{}; return refreshed() }
			serves := func(name, want string) {
				t.Helper()
				if got := answerFrom(t, v, name, dns.TypeA, "10.0.0.9", ""); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
			p.subscribe(sourceSink{v.merger, 0})
			p.start()
			defer p.stop()

			if d := refreshed(); d < 54*time.Second {
				t.Fatalf("wait %v after the first refresh, want the refresh interval", d)
			}
			serves("one.example.com.", "10.0.0.1")
			panics, failed := counted(t, "panics_total", "where", where), counted(t, "refreshes_total", "region", "us-east-1", "result", "failed")
			f.armed.Store(true)
			putEndpoint(fake, 2, "vpc-1", "two.example.com", "10.0.0.2")
			for n, backoff := 1, time.Second; n <= 3; n, backoff = n+1, backoff*2 {
				if d := next(); d < backoff/2 || d > backoff {
					t.Errorf("wait %v after panic %d, want the backoff, within [%v, %v]", d, n, backoff/2, backoff)
				}
				serves("one.example.com.", "10.0.0.1")
				serves("two.example.com.", "next")
			}
			if n := counted(t, "panics_total", "where", where) - panics; n != 3 {
				t.Errorf("%v panics counted, want 3", n)
			}
			if n := counted(t, "refreshes_total", "region", "us-east-1", "result", "failed") - failed; n != 3 {
				t.Errorf("%v failed refreshes counted, want 3", n)
			}
			f.armed.Store(false)
			if d := next(); d < 54*time.Second {
				t.Errorf("wait %v after the panics stopped, want the refresh interval", d)
			}
			serves("two.example.com.", "10.0.0.2")

			out := logs.String()
			if recoveredLines(logs, where) != 1 || !strings.Contains(out, "panics_test.go") {
				t.Errorf("want the panic logged once, with its stack:\n%s", out)
			}
			if strings.Count(out, "failing, serving the last good view: panic in "+where) != 1 || strings.Count(out, "recovered after 3 failed attempts") != 1 {
				t.Errorf("want one failing and one recovered line:\n%s", out)
			}
		})
	}
}

// inventoryOf returns the fake's endpoints as an inventory.
func inventoryOf(fake *ec2fake.Server) *inventory.Inventory {
	st := fake.Snapshot()
	return &inventory.Inventory{VpcEndpoints: st.VpcEndpoints, NetworkInterfaces: st.NetworkInterfaces}
}

// TestBuildPanicKeepsTheServedIndex: an update whose build panics fails and changes nothing:
// the old index serves, the merger is not left locked, the cache file is not written.
func TestBuildPanicKeepsTheServedIndex(t *testing.T) {
	captureLog(t)
	fake := ec2fake.New()
	putEndpoint(fake, 1, "vpc-1", "one.example.com", "10.0.0.1")
	one := inventoryOf(fake)
	putEndpoint(fake, 2, "vpc-1", "two.example.com", "10.0.0.2")
	two := inventoryOf(fake)

	var f faultSwitch
	v := newBareVPCE(nextPlugin, ".")
	cache := filepath.Join(t.TempDir(), "vpce.json")
	v.merger = &merger{sources: []source{&fileSource{}}, cache: inventory.NewCacheFile(cache, inventory.DefaultLimits), publish: v.index.Store,
		build: func(inv *inventory.Inventory, opts buildOptions) (*index, buildReport) {
			f.at()
			return buildIndex(inv, opts)
		}}
	if err := v.merger.update(0, one); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	served := v.index.Load()
	f.armed.Store(true)
	if err := v.merger.update(0, two); err == nil || !strings.Contains(err.Error(), "panic in build") {
		t.Fatalf("update with a panicking build: %v", err)
	}
	if v.index.Load() != served {
		t.Error("an index was published")
	}
	if !v.merger.mu.TryLock() {
		t.Fatal("the merger is left locked")
	}
	v.merger.mu.Unlock()
	if v.merger.parts[0] != one {
		t.Error("the merger holds the inventory it could not build")
	}
	if now, err := os.ReadFile(cache); err != nil || string(now) != string(saved) {
		t.Errorf("the cache file changed (%v)", err)
	}
	f.armed.Store(false)
	if err := v.merger.update(0, two); err != nil {
		t.Fatal(err)
	}
	if got := answerFrom(t, v, "two.example.com.", dns.TypeA, "10.0.0.9", ""); got != "10.0.0.2" {
		t.Errorf("after the panics: %q", got)
	}
}

// TestCacheWriterPanic: a cache file write that panics is logged once and counted; serving
// goes on, and the file is written once it can be.
func TestCacheWriterPanic(t *testing.T) {
	logs := captureLog(t)
	fake := ec2fake.New()
	putEndpoint(fake, 1, "vpc-1", "one.example.com", "10.0.0.1")
	one := inventoryOf(fake)
	putEndpoint(fake, 2, "vpc-1", "two.example.com", "10.0.0.2")
	two := inventoryOf(fake)

	var f faultSwitch
	path := filepath.Join(t.TempDir(), "vpce.json")
	cache := inventory.NewCacheFile(path, inventory.DefaultLimits)
	cache.Write = func(path string, data []byte) error {
		f.at()
		return inventory.WriteFile(path, data)
	}
	v := newBareVPCE(nextPlugin, ".")
	v.merger = &merger{sources: []source{&fileSource{}}, cache: cache, build: buildIndex, publish: v.index.Store}
	before := counted(t, "panics_total", "where", inCacheFile)
	f.armed.Store(true)
	for name, inv := range map[string]*inventory.Inventory{"one.example.com.": one, "two.example.com.": two} {
		if err := v.merger.update(0, inv); err != nil {
			t.Fatalf("a cache write failed the update: %v", err)
		}
		if got := answerFrom(t, v, name, dns.TypeA, "10.0.0.9", ""); got == "next" {
			t.Errorf("%s not served while the cache writer panics", name)
		}
	}
	if n := counted(t, "panics_total", "where", inCacheFile) - before; n != 2 {
		t.Errorf("%v panics counted, want 2", n)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("cache file: %v, want none", err)
	}
	if recoveredLines(logs, inCacheFile) != 1 || strings.Count(logs.String(), "Cache file not written") != 1 {
		t.Errorf("want the panic and the failure logged once each:\n%s", logs)
	}
	f.armed.Store(false)
	if err := v.merger.update(0, two); err != nil {
		t.Fatal(err)
	}
	if inv, err := cache.Load(); err != nil || len(inv.VpcEndpoints) != 2 {
		t.Fatalf("cache file after the panics: %v", err)
	}
	if !strings.Contains(logs.String(), "Cache file written again") {
		t.Errorf("the recovery is not logged:\n%s", logs)
	}
}

// faultySink takes inventories like chanSink, but panics while armed.
type faultySink struct {
	chanSink
	fault *faultSwitch
}

func (s faultySink) update(inv *inventory.Inventory) error {
	s.fault.at()
	return s.chanSink.update(inv)
}

// TestFileSourcePanic: a snapshot check that panics keeps the watcher running and the last
// good view in place; the changed files are read again until that succeeds, and later
// versions are taken.
func TestFileSourcePanic(t *testing.T) {
	logs := captureLog(t)
	file := filepath.Join(t.TempDir(), "snapshot.json")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(file+".tmp", []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(file+".tmp", file); err != nil {
			t.Fatal(err)
		}
	}
	write(endpointJSON("vpce-1"))
	fs, err := newFileSource([]string{file}, inventory.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	fs.poll = 5 * time.Millisecond
	f := &faultSwitch{}
	got := make(chan *inventory.Inventory, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fs.run(ctx, faultySink{chanSink(got), f}); close(done) }()
	defer func() { cancel(); <-done }()
	next := func() *inventory.Inventory {
		t.Helper()
		select {
		case inv := <-got:
			return inv
		case <-time.After(5 * time.Second):
			t.Fatal("no inventory delivered")
			return nil
		}
	}

	before := counted(t, "panics_total", "where", inSnapshot)
	f.armed.Store(true)
	write(endpointJSON("vpce-1", "vpce-2"))
	deadline := time.Now().Add(5 * time.Second)
	for counted(t, "panics_total", "where", inSnapshot)-before < 3 { // read again every poll
		if time.Now().After(deadline) {
			t.Fatal("the changed snapshot is not read again after a panic")
		}
		time.Sleep(fs.poll)
	}
	f.armed.Store(false)
	if inv := next(); len(inv.VpcEndpoints) != 2 {
		t.Fatalf("after the panics: %d endpoints, want 2", len(inv.VpcEndpoints))
	}
	write(endpointJSON("vpce-3"))
	if inv := next(); len(inv.VpcEndpoints) != 1 || *inv.VpcEndpoints[0].VpcEndpointId != "vpce-3" {
		t.Fatalf("the next version: %+v", inv.VpcEndpoints)
	}
	if recoveredLines(logs, inSnapshot) != 1 || strings.Count(logs.String(), "Snapshot not loaded") != 1 {
		t.Errorf("want the panic and the failure logged once each:\n%s", logs)
	}
}

// panickyLog stands for a gap report summary that panics: it panics on writing one while armed.
type panickyLog struct {
	*syncBuffer
	fault *faultSwitch
}

func (w panickyLog) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "Gap report:") {
		w.fault.at()
	}
	return w.syncBuffer.Write(p)
}

// TestGapReportPanic: gap report summaries that panic are counted and logged once, and the
// summaries go on.
func TestGapReportPanic(t *testing.T) {
	logs := captureLog(t)
	f := &faultSwitch{}
	stdlog.SetOutput(panickyLog{logs, f}) // captureLog restores the output
	g := newGapReport("dns://:53")
	g.every = 5 * time.Millisecond
	panics := func() float64 { return counted(t, "panics_total", "where", inGapReport) }
	before := panics()
	f.armed.Store(true)
	for n := 1; n <= 3; n++ {
		g.observe("ssm.us-east-1.amazonaws.com.")
		g.summary()
		if got := panics() - before; got != float64(n) {
			t.Fatalf("%v panics counted, want %d", got, n)
		}
	}

	// The periodic summaries: the first panics too, the goroutine goes on.
	g.observe("ssm.us-east-1.amazonaws.com.")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.summarize(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(g.every) {
			if time.Now().After(deadline) {
				t.Fatalf("%s:\n%s", what, logs)
			}
		}
	}
	waitFor("the periodic summary did not panic", func() bool { return panics()-before == 4 })
	f.armed.Store(false)
	g.observe("ssm.us-east-1.amazonaws.com.")
	waitFor("no summary after the panics", func() bool { return strings.Contains(logs.String(), "Gap report: ") })
	if n := recoveredLines(logs, inGapReport); n != 1 {
		t.Errorf("%d panics logged, want 1:\n%s", n, logs)
	}
}
