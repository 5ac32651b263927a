package vpce

// Benchmarks of the query path and of view builds, over generated inventories. They run only
// under `go test -bench`; see BENCHMARKS.md for the command and the numbers of one run.
//
//	go test -run '^$' -bench . -benchmem ./plugin/vpce

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/synth"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/miekg/dns"
)

// benchNames lists a generated inventory's served names by the kind of query they make.
type benchNames struct {
	regional []string // exact regional names, A
	zonal    []string // exact zonal names, A
	private  []string // exact private DNS names, A
	wildcard []string // names below a wildcard entry (none of them exact), A
	v4only   []string // regional names of ipv4-only endpoints: AAAA gets NODATA
	dual     []string // regional names of dualstack endpoints, which have AAAA records
	// Names offered in several VPCs (exact and below a wildcard), A; placed pairs each with a
	// client in one of the VPCs other than the default's, once per such VPC.
	shared []string
	placed []placedName
	total  int // names the index holds (exact and wildcard entries)
}

// placedName is a question from a client placed in a VPC.
type placedName struct {
	name   string
	client net.Addr
}

// benchInventory is internal/synth's account of n endpoints, with its served names sorted by
// the kind of query they make.
func benchInventory(n int, opts synth.Options) (*inventory.Inventory, benchNames) {
	acct := synth.Generate(n, opts)
	var names benchNames
	for _, nm := range acct.Names {
		q := nm.Query + "."
		if len(nm.Others) > 0 {
			names.shared = append(names.shared, q)
			for _, o := range nm.Others {
				names.placed = append(names.placed, placedName{q, &net.UDPAddr{IP: net.ParseIP(o.Client), Port: 40000}})
			}
		}
		switch {
		case nm.Wildcard:
			names.wildcard = append(names.wildcard, q)
		case nm.Kind == synth.Regional:
			names.regional = append(names.regional, q)
			if len(nm.V6) > 0 {
				names.dual = append(names.dual, q)
			} else {
				names.v4only = append(names.v4only, q)
			}
		case nm.Kind == synth.Zonal:
			names.zonal = append(names.zonal, q)
		case nm.Kind == synth.Private:
			names.private = append(names.private, q)
		}
	}
	names.total = len(acct.Names)
	return &inventory.Inventory{VpcEndpoints: acct.VpcEndpoints, NetworkInterfaces: acct.NetworkInterfaces, Subnets: acct.Subnets}, names
}

// discardWriter is a ResponseWriter that drops what it is given: the benchmarks measure lookup
// and answer construction, not packing and the socket. Its client is benchRemote, unplaced,
// unless remote is set.
type discardWriter struct {
	written atomic.Int64
	remote  net.Addr
}

var (
	benchLocal  = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
	benchRemote = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
)

func (w *discardWriter) LocalAddr() net.Addr { return benchLocal }
func (w *discardWriter) RemoteAddr() net.Addr {
	if w.remote != nil {
		return w.remote
	}
	return benchRemote
}
func (w *discardWriter) WriteMsg(*dns.Msg) error     { w.written.Add(1); return nil }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) Close() error                { return nil }
func (w *discardWriter) TsigStatus() error           { return nil }
func (w *discardWriter) TsigTimersOnly(bool)         {}
func (w *discardWriter) Hijack()                     {}

// discardNext is the next plugin of a pass-through: it writes nothing and allocates nothing.
type discardNext struct{}

func (discardNext) Name() string { return "discard" }
func (discardNext) ServeDNS(context.Context, dns.ResponseWriter, *dns.Msg) (int, error) {
	return dns.RcodeSuccess, nil
}

// benchVPCE serves the index of a generated inventory of n endpoints in the root zone.
func benchVPCE(tb testing.TB, n int, opts synth.Options) (*VPCE, benchNames) {
	tb.Helper()
	inv, names := benchInventory(n, opts)
	ix, report := index.Build(inventory.NewCompact(inv), index.Options{TTL: 60})
	if len(report.Conflicts)+len(report.Skipped) > 0 {
		tb.Fatalf("generated inventory: %d conflicts, %d skipped: %v %v", len(report.Conflicts), len(report.Skipped),
			report.Conflicts, report.Skipped)
	}
	if got := indexNames(ix); got != names.total {
		tb.Fatalf("index of %d endpoints holds %d names, want %d", n, got, names.total)
	}
	v := newBareVPCE(discardNext{}, ".")
	v.index.Store(ix)
	return v, names
}

func indexNames(ix *index.Index) int {
	n := 0
	for _, c := range ix.Stats().Names {
		n += c
	}
	return n
}

// benchQuery is one kind of query of the benchmarks: names to draw from, the type asked, and
// the answer expected.
type benchQuery struct {
	kind    string
	names   []string
	qtype   uint16
	rcode   int
	answers bool // answer records expected (else NODATA, or nothing written for pass-through)
	written bool
	clients []net.Addr // each name's client, if placed (else benchRemote, unplaced)
}

func benchQueries(names benchNames, n int) []benchQuery {
	pass := make([]string, 0, 1024)
	for i := range 1024 {
		pass = append(pass, fmt.Sprintf("host-%d.corp.example.org.", i*max(n/1024, 1)))
	}
	mixed := make([]string, len(names.regional))
	for i, name := range names.regional {
		mixed[i] = strings.ToUpper(name[:1]) + name[1:] // a 0x20-randomizing resolver's question
	}
	return []benchQuery{
		{kind: "regional", names: names.regional, qtype: dns.TypeA, answers: true, written: true},
		{kind: "zonal", names: names.zonal, qtype: dns.TypeA, answers: true, written: true},
		{kind: "private", names: names.private, qtype: dns.TypeA, answers: true, written: true},
		{kind: "wildcard", names: names.wildcard, qtype: dns.TypeA, answers: true, written: true},
		{kind: "nodata", names: names.v4only, qtype: dns.TypeAAAA, written: true},
		{kind: "passthrough", names: pass, qtype: dns.TypeA},
		{kind: "dualstack-aaaa", names: names.dual, qtype: dns.TypeAAAA, answers: true, written: true},
		{kind: "regional-mixedcase", names: mixed, qtype: dns.TypeA, answers: true, written: true},
	}
}

// sharedQueries are the questions for names offered in several VPCs: from an unplaced client,
// which gets the default, and from a client in one of the other VPCs, which gets its VPC's.
func sharedQueries(names benchNames) []benchQuery {
	placed := benchQuery{kind: "shared-placed", qtype: dns.TypeA, answers: true, written: true}
	for _, p := range names.placed {
		placed.names = append(placed.names, p.name)
		placed.clients = append(placed.clients, p.client)
	}
	return []benchQuery{
		{kind: "shared-unplaced", names: names.shared, qtype: dns.TypeA, answers: true, written: true},
		placed,
	}
}

// benchMsgs makes up to 8192 questions of kind q, drawn at random over all its names, so that
// lookups spread over the whole index as dnsperf's do, and their clients if q places them.
func benchMsgs(q benchQuery) ([]*dns.Msg, []net.Addr) {
	rng := rand.New(rand.NewPCG(1, uint64(len(q.names))))
	msgs := make([]*dns.Msg, min(len(q.names), 8192))
	var clients []net.Addr
	if q.clients != nil {
		clients = make([]net.Addr, len(msgs))
	}
	for i := range msgs {
		k := i
		if len(q.names) > len(msgs) {
			k = rng.IntN(len(q.names))
		}
		m := new(dns.Msg)
		m.SetQuestion(q.names[k], q.qtype)
		m.SetEdns0(1232, false)
		msgs[i] = m
		if clients != nil {
			clients[i] = q.clients[k]
		}
	}
	return msgs, clients
}

// benchShared is the SharedEvery of the benchmarks' account with shared names: about 5% of
// its private names offered in 2 to 5 VPCs, as vpcebench's vpce-100k-shared.
const benchShared = 5

// BenchmarkServeDNS is the query path, lookup and answer construction, for each kind of query
// over indexes of 20 and 100,000 endpoints, and 100,000 with shared names: there, the same
// kinds (every name, shared or not, asked from outside the VPCs), then the shared names alone,
// asked from outside and from within. Besides ns/op it reports cpu-ns/op, the process's CPU
// time per query, garbage collection included.
func BenchmarkServeDNS(b *testing.B) {
	type set struct {
		n      int
		opts   synth.Options
		suffix string
	}
	for _, st := range []set{{20, synth.Options{}, ""}, {100_000, synth.Options{}, ""}, {100_000, synth.Options{SharedEvery: benchShared}, "-shared"}} {
		v, names := benchVPCE(b, st.n, st.opts)
		queries := benchQueries(names, st.n)
		if st.opts.SharedEvery > 0 {
			queries = append(queries, sharedQueries(names)...)
		}
		for _, q := range queries {
			msgs, clients := benchMsgs(q)
			b.Run(fmt.Sprintf("endpoints=%d%s/%s", st.n, st.suffix, q.kind), func(b *testing.B) {
				w := &discardWriter{}
				ctx := context.Background()
				b.ReportAllocs()
				cpu0 := testkit.CPUTime()
				b.ResetTimer()
				if clients == nil {
					for i := range b.N {
						v.ServeDNS(ctx, w, msgs[i%len(msgs)])
					}
				} else { // a loop of its own, so that the unplaced cases' stays as it was
					for i := range b.N {
						w.remote = clients[i%len(clients)]
						v.ServeDNS(ctx, w, msgs[i%len(msgs)])
					}
				}
				b.StopTimer()
				// CPU time, GC on the other core included: steadier than ns/op on a shared machine.
				b.ReportMetric(float64(testkit.CPUTime()-cpu0)/float64(b.N), "cpu-ns/op")
				want := int64(0)
				if q.written {
					want = int64(b.N)
				}
				if got := w.written.Load(); got != want {
					b.Fatalf("%s: %d answers written for %d queries, want %d", q.kind, got, b.N, want)
				}
			})
		}
	}
}

// BenchmarkBuildIndex builds the view of 100,000 endpoints (250,000 interfaces) from their
// inventory.Compact, as a refresh does, while the previous view is still being served. Besides
// time and allocations it reports:
//
//	cpu-ms/op      process CPU time per build, GC included (both cores)
//	peak-heap-MB   the highest live+unswept heap seen while building (sampled every ms),
//	               inventory and previous view included
//	build-peak-MB  peak-heap-MB less what was live before the build (inventory, previous view)
//	inventory-MB   heap held by the Compact (the input)
//	index-MB       heap held by one built view
//	B/name         index-MB per served name
func BenchmarkBuildIndex(b *testing.B) { benchmarkBuild(b, synth.Options{}) }

// BenchmarkBuildIndexShared is BenchmarkBuildIndex with shared names (benchShared) and the
// VPCs' subnets, from which the build makes the client table.
func BenchmarkBuildIndexShared(b *testing.B) {
	benchmarkBuild(b, synth.Options{SharedEvery: benchShared})
}

func benchmarkBuild(b *testing.B, gen synth.Options) {
	const n = 100_000
	inv, names := benchInventory(n, gen)
	compact := inventory.NewCompact(inv) // what a source hands over
	inv = nil
	opts := index.Options{TTL: 60}
	benchIndex, _ = index.Build(compact, opts) // the view being served meanwhile

	before := heapAfterGC()
	sampler := startHeapSampler()
	cpu0 := testkit.CPUTime()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ix, _ := index.Build(compact, opts)
		benchIndex = ix // swapped in: the previous view becomes garbage
	}
	b.StopTimer()
	cpu := testkit.CPUTime() - cpu0
	peak := sampler.stop()

	withIndex := heapAfterGC()
	benchIndex = nil
	withoutIndex := heapAfterGC()
	runtime.KeepAlive(compact)
	compact = nil
	empty := heapAfterGC()

	indexBytes := float64(withIndex) - float64(withoutIndex)
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric((float64(peak)-float64(before))/1e6, "build-peak-MB")
	b.ReportMetric((float64(withoutIndex)-float64(empty))/1e6, "inventory-MB")
	b.ReportMetric(indexBytes/1e6, "index-MB")
	b.ReportMetric(indexBytes/float64(names.total), "B/name")
	b.ReportMetric(float64(names.total), "names")
}

// benchIndex holds the view a build benchmark serves, so that it stays live.
var benchIndex *index.Index

// heapAfterGC is the live heap after a full collection.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC() // the second one frees what the first one's finalizers released
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// heapSampler records the highest heap seen, every millisecond, without stopping the world.
type heapSampler struct {
	peak atomic.Uint64
	done chan struct{}
	quit chan struct{}
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{done: make(chan struct{}), quit: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > s.peak.Load() {
			s.peak.Store(v)
		}
	}
	read()
	go func() {
		defer close(s.done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.quit:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return s
}

func (s *heapSampler) stop() uint64 {
	close(s.quit)
	<-s.done
	return s.peak.Load()
}

// TestBenchInventory checks that the generator's names answer as the benchmarks expect.
func TestBenchInventory(t *testing.T) {
	v, names := benchVPCE(t, 40, synth.Options{})
	if len(names.wildcard) == 0 || len(names.dual) == 0 || len(names.private) == 0 || len(names.shared) > 0 {
		t.Fatalf("generator gives no wildcard, dualstack or private names, or shared ones: %+v", names)
	}
	checkBenchQueries(t, v, benchQueries(names, 40))
	v, names = benchVPCE(t, 600, synth.Options{SharedEvery: benchShared})
	if len(names.shared) == 0 || len(names.placed) <= len(names.shared) {
		t.Fatalf("generator gives %d shared names, %d placed questions", len(names.shared), len(names.placed))
	}
	checkBenchQueries(t, v, append(benchQueries(names, 600), sharedQueries(names)...))
}

func checkBenchQueries(t *testing.T, v *VPCE, queries []benchQuery) {
	t.Helper()
	for _, q := range queries {
		msgs, clients := benchMsgs(q)
		for i, m := range msgs {
			rec := &recordingWriter{}
			if clients != nil {
				rec.remote = clients[i]
			}
			if _, err := v.ServeDNS(context.Background(), rec, m); err != nil {
				t.Fatalf("%s %s: %v", q.kind, m.Question[0].Name, err)
			}
			switch {
			case !q.written:
				if rec.msg != nil {
					t.Errorf("%s %s: answered, want pass-through", q.kind, m.Question[0].Name)
				}
			case rec.msg == nil:
				t.Errorf("%s %s: passed through, want an answer", q.kind, m.Question[0].Name)
			case rec.msg.Rcode != q.rcode || (len(rec.msg.Answer) > 0) != q.answers:
				t.Errorf("%s %s: rcode %d with %d answers", q.kind, m.Question[0].Name, rec.msg.Rcode, len(rec.msg.Answer))
			}
		}
	}
}

// recordingWriter keeps the message written.
type recordingWriter struct {
	discardWriter
	msg *dns.Msg
}

func (w *recordingWriter) WriteMsg(m *dns.Msg) error { w.msg = m; return nil }

// TestBenchSharedAnswers: the plugin answers the generator's shared names as the generator
// says, the oldest endpoint's addresses to an unplaced client and each other VPC's to a client
// in its subnets, so that the shared cases measure the answers they are meant to.
func TestBenchSharedAnswers(t *testing.T) {
	const n = 600
	v, _ := benchVPCE(t, n, synth.Options{SharedEvery: benchShared})
	ask := func(name string, client net.Addr, want []string) {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name+".", dns.TypeA)
		rec := &recordingWriter{}
		rec.remote = client
		if _, err := v.ServeDNS(context.Background(), rec, m); err != nil || rec.msg == nil {
			t.Fatalf("%s from %v: %v, no answer", name, client, err)
		}
		var got []string
		for _, rr := range rec.msg.Answer {
			if a, ok := rr.(*dns.A); ok {
				got = append(got, a.A.String())
			}
		}
		slices.Sort(got)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("%s from %v: %v, want %v", name, client, got, want)
		}
	}
	shared := 0
	for _, nm := range synth.Generate(n, synth.Options{SharedEvery: benchShared}).Names {
		if len(nm.Others) == 0 {
			continue
		}
		shared++
		ask(nm.Query, nil, nm.V4)
		for _, o := range nm.Others {
			ask(nm.Query, &net.UDPAddr{IP: net.ParseIP(o.Client), Port: 40000}, o.V4)
		}
	}
	if shared == 0 {
		t.Fatal("no shared name")
	}
}
