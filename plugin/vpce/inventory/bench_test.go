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

// BenchmarkCompact compacts an account of 100,000 endpoints with its subnets, as a source
// does (the EC2 API source a page at a time, a snapshot's fast parser a batch at a time):
// nearly all it allocates is what the Compact holds.
func BenchmarkCompact(b *testing.B) {
	acct := synth.Generate(100_000, synth.Options{SharedEvery: 5})
	inv := &inventory.Inventory{VpcEndpoints: acct.VpcEndpoints, NetworkInterfaces: acct.NetworkInterfaces, Subnets: acct.Subnets}
	b.ReportAllocs()
	for b.Loop() {
		inventory.NewCompact(inv)
	}
}
