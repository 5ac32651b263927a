package inventory_test

import (
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/synth"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// BenchmarkRefresh is what every refresh costs CoreDNS for 100,000 endpoints besides the
// calls (awsapi's BenchmarkRefresh) and the build: the fingerprint that tells an unchanged
// inventory, and the merge of the sources' inventories that precedes a build.
func BenchmarkRefresh(b *testing.B) {
	const n = 100_000
	acct := synth.Generate(n, synth.Options{})
	inv := &inventory.Inventory{VpcEndpoints: acct.VpcEndpoints, NetworkInterfaces: acct.NetworkInterfaces}
	b.Run("fingerprint", func(b *testing.B) {
		compact := inventory.NewCompact(inv)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := testkit.CPUTime()
		for range b.N {
			inventory.Fingerprint(compact)
		}
		b.ReportMetric(float64((testkit.CPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
	b.Run("merge", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := testkit.CPUTime()
		for range b.N {
			inventory.Merge(inv, nil)
		}
		b.ReportMetric(float64((testkit.CPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
}
