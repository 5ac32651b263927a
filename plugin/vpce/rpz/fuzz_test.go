package rpz

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/miekg/dns"
)

// FuzzZone makes the zone of a fuzzed snapshot and checks it against the index (checkZone):
// as written to a file, as transferred, and as answered name by name.
func FuzzZone(f *testing.F) {
	for _, file := range []string{example, "../testdata/answers.json", "../testdata/resource.json", "../testdata/vpcs.json"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, byte(0))
		f.Add(data, byte(0x41))
	}
	f.Fuzz(func(t *testing.T, data []byte, ctl byte) {
		inv, err := inventory.Parse("fuzz.json", data)
		if err != nil {
			return
		}
		opts := index.Options{TTL: uint32(ctl >> 4), PrivateDNS: index.PrivateDNSMode(ctl % 3), Authoritative: ctl&8 != 0}
		ix, _ := index.Build(inventory.NewCompact(inv), opts)
		z := New(origin, ix, everything)
		z.SetSerial(7)
		text := zoneText(t, z)
		checkZone(t, text, ix)

		if !sameRecords(t, transferText(t, z.Transfer(0)), text) {
			t.Errorf("the transfer and the zone file differ")
		}
		_, byOwner := records(t, text)
		for owner, rrs := range byOwner {
			if owner == origin || strings.HasPrefix(owner, "*.") {
				continue
			}
			var got []string
			for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME} {
				_, answer, _ := z.Answer(owner, owner, qtype)
				for _, rr := range answer {
					if qtype != dns.TypeCNAME || rr.Header().Rrtype == dns.TypeCNAME && !slices.Contains(got, "CNAME "+rr.(*dns.CNAME).Target) {
						got = append(got, dns.TypeToString[rr.Header().Rrtype]+" "+strings.TrimPrefix(rr.String(), rr.Header().String()))
					}
				}
			}
			slices.Sort(got)
			got = slices.Compact(got)
			if !slices.Equal(got, rrs) {
				t.Errorf("%s: answered %q, the zone holds %q", owner, got, rrs)
			}
		}
	})
}
