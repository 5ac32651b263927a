package vpce

import (
	"context"
	"errors"
	stdlog "log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/fault"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
)

func TestGuard(t *testing.T) {
	logs := testkit.CaptureLog(t)
	var g guard.Step
	before := testkit.Counted(t, "panics_total", "where", guard.Snapshot)
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
		err := g.Run(guard.Snapshot, step.run)
		if err == nil || err.Error() != step.wantErr {
			t.Errorf("run %d: error %v, want %q", i, err, step.wantErr)
		}
		if n := testkit.Counted(t, "panics_total", "where", guard.Snapshot) - before; n != float64(step.wantCount) {
			t.Errorf("run %d: %v panics counted, want %d", i, n, step.wantCount)
		}
		if n := testkit.RecoveredLines(logs, guard.Snapshot); n != step.logged {
			t.Errorf("run %d: %d panics logged, want %d", i, n, step.logged)
		}
	}
	if !strings.Contains(logs.String(), "goroutine ") || !strings.Contains(logs.String(), "panics_test.go") {
		t.Errorf("no stack logged:\n%s", logs)
	}
}

// inventoryOf returns the fake's endpoints as an inventory.
func inventoryOf(fake *ec2fake.Server) *inventory.Compact {
	st := fake.Snapshot()
	return inventory.NewCompact(&inventory.Inventory{VpcEndpoints: st.VpcEndpoints, NetworkInterfaces: st.NetworkInterfaces})
}

// TestBuildPanicKeepsTheServedIndex: an update whose build panics fails and changes nothing:
// the old index serves, the merger is not left locked, the cache file is not written.
func TestBuildPanicKeepsTheServedIndex(t *testing.T) {
	testkit.CaptureLog(t)
	fake := ec2fake.New()
	testkit.PutEndpoint(fake, 1, "vpc-1", "one.example.com", "10.0.0.1")
	one := inventoryOf(fake)
	testkit.PutEndpoint(fake, 2, "vpc-1", "two.example.com", "10.0.0.2")
	two := inventoryOf(fake)

	var f testkit.FaultSwitch
	v := newBareVPCE(nextPlugin, ".")
	cache := filepath.Join(t.TempDir(), "vpce.json")
	v.merger = &merger{sources: []inventory.Source{&inventory.Files{}}, cache: inventory.NewCacheFile(cache, inventory.DefaultLimits), publish: v.index.Store,
		build: index.Build, fault: f.Hook(guard.Build)}
	if err := v.merger.update(0, one); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	served := v.index.Load()
	f.Armed.Store(true)
	if err := v.merger.update(0, two); err == nil || !strings.Contains(err.Error(), "panic in build") {
		t.Fatalf("update with a panicking build: %v", err)
	}
	if v.index.Load() != served {
		t.Error("an index was published")
	}
	for _, mu := range []*sync.Mutex{&v.merger.mu, &v.merger.building} {
		if !mu.TryLock() {
			t.Fatal("the merger is left locked")
		}
		mu.Unlock()
	}
	if v.merger.parts[0] != nil {
		t.Error("the merger holds an inventory of its only source: the index is all it needs")
	}
	if now, err := os.ReadFile(cache); err != nil || string(now) != string(saved) {
		t.Errorf("the cache file changed (%v)", err)
	}
	f.Armed.Store(false)
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
	logs := testkit.CaptureLog(t)
	fake := ec2fake.New()
	testkit.PutEndpoint(fake, 1, "vpc-1", "one.example.com", "10.0.0.1")
	one := inventoryOf(fake)
	testkit.PutEndpoint(fake, 2, "vpc-1", "two.example.com", "10.0.0.2")
	two := inventoryOf(fake)

	var f testkit.FaultSwitch
	path := filepath.Join(t.TempDir(), "vpce.json")
	cache := inventory.NewCacheFile(path, inventory.DefaultLimits)
	v := newBareVPCE(nextPlugin, ".")
	v.merger = &merger{sources: []inventory.Source{&inventory.Files{}}, cache: cache, build: index.Build, publish: v.index.Store,
		fault: f.Hook(guard.CacheFile)}
	before := testkit.Counted(t, "panics_total", "where", guard.CacheFile)
	f.Armed.Store(true)
	for name, inv := range map[string]*inventory.Compact{"one.example.com.": one, "two.example.com.": two} {
		if err := v.merger.update(0, inv); err != nil {
			t.Fatalf("a cache write failed the update: %v", err)
		}
		if got := answerFrom(t, v, name, dns.TypeA, "10.0.0.9", ""); got == "next" {
			t.Errorf("%s not served while the cache writer panics", name)
		}
	}
	if n := testkit.Counted(t, "panics_total", "where", guard.CacheFile) - before; n != 2 {
		t.Errorf("%v panics counted, want 2", n)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("cache file: %v, want none", err)
	}
	if testkit.RecoveredLines(logs, guard.CacheFile) != 1 || strings.Count(logs.String(), "Cache file not written") != 1 {
		t.Errorf("want the panic and the failure logged once each:\n%s", logs)
	}
	f.Armed.Store(false)
	if err := v.merger.update(0, two); err != nil {
		t.Fatal(err)
	}
	if inv, err := cache.Load(); err != nil || len(inv.Endpoints) != 2 {
		t.Fatalf("cache file after the panics: %v", err)
	}
	if !strings.Contains(logs.String(), "Cache file written again") {
		t.Errorf("the recovery is not logged:\n%s", logs)
	}
}

// TestSetupTakesTheFaultHook: the hook an integration test sets for a server block
// (internal/fault) is taken by the block's vpce setup, and runs as each build and cache file
// write begins.
func TestSetupTakesTheFaultHook(t *testing.T) {
	c := caddy.NewTestController("dns", "vpce {\n snapshot testdata/answers.json\n}")
	conf := dnsserver.GetConfig(c)
	var steps []string
	fault.Set(conf, func(step string) { steps = append(steps, step) })
	if err := setup(c); err != nil {
		t.Fatal(err)
	}
	if fault.Take(conf) != nil {
		t.Error("the hook is still set: setup did not take it")
	}
	v := conf.Plugin[len(conf.Plugin)-1](nextPlugin).(*VPCE)
	v.merger.cache = inventory.NewCacheFile(filepath.Join(t.TempDir(), "vpce.json"), inventory.DefaultLimits)
	if err := v.merger.update(0, testkit.Compact(t, "testdata/answers.json")); err != nil {
		t.Fatal(err)
	}
	if want := []string{guard.Build, guard.CacheFile}; !slices.Equal(steps, want) {
		t.Errorf("the hook ran for %q, want %q", steps, want)
	}
}

// panickyLog stands for a gap report summary that panics: it panics on writing one while armed.
type panickyLog struct {
	*testkit.SyncBuffer
	fault *testkit.FaultSwitch
}

func (w panickyLog) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "Gap report:") {
		w.fault.At()
	}
	return w.SyncBuffer.Write(p)
}

// TestGapReportPanic: gap report summaries that panic are counted and logged once, and the
// summaries go on.
func TestGapReportPanic(t *testing.T) {
	logs := testkit.CaptureLog(t)
	f := &testkit.FaultSwitch{}
	stdlog.SetOutput(panickyLog{logs, f}) // captureLog restores the output
	g := newGapReport("dns://:53")
	g.every = 5 * time.Millisecond
	panics := func() float64 { return testkit.Counted(t, "panics_total", "where", guard.GapReport) }
	before := panics()
	f.Armed.Store(true)
	for n := 1; n <= 3; n++ {
		g.observe([]byte("ssm.us-east-1.amazonaws.com."))
		g.summary()
		if got := panics() - before; got != float64(n) {
			t.Fatalf("%v panics counted, want %d", got, n)
		}
	}

	// The periodic summaries: the first panics too, the goroutine goes on.
	g.observe([]byte("ssm.us-east-1.amazonaws.com."))
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
	f.Armed.Store(false)
	g.observe([]byte("ssm.us-east-1.amazonaws.com."))
	waitFor("no summary after the panics", func() bool { return strings.Contains(logs.String(), "Gap report: ") })
	if n := testkit.RecoveredLines(logs, guard.GapReport); n != 1 {
		t.Errorf("%d panics logged, want 1:\n%s", n, logs)
	}
}
