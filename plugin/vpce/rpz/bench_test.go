package rpz

// What publishing the view as a zone costs: the walk that digests it at every build (New), and
// a whole transfer, over internal/synth's accounts.
//
//	go test -run '^$' -bench . -benchmem ./plugin/vpce/rpz

import (
	"fmt"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/synth"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

func benchIndex(b *testing.B, n int) *index.Index {
	b.Helper()
	acct := synth.Generate(n, synth.Options{})
	inv := &inventory.Inventory{VpcEndpoints: acct.VpcEndpoints, NetworkInterfaces: acct.NetworkInterfaces}
	ix, _ := index.Build(inventory.NewCompact(inv), index.Options{TTL: 60})
	return ix
}

func BenchmarkZone(b *testing.B) {
	for _, n := range []int{1000, 100_000} {
		ix := benchIndex(b, n)
		records := 0
		New(origin, ix, everything).walk(func(*record) { records++ })
		b.Run(fmt.Sprintf("digest/%d", n), func(b *testing.B) {
			for b.Loop() {
				New(origin, ix, everything)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(records), "ns/record")
		})
		b.Run(fmt.Sprintf("transfer/%d", n), func(b *testing.B) {
			z := New(origin, ix, everything)
			for b.Loop() {
				for range z.Transfer(0) {
				}
			}
			b.ReportMetric(float64(records), "records")
		})
	}
}
