package index

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/synth"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// TestBuildReadsOnlyWhatTheFingerprintCounts: a refresh whose inventory has the fingerprint of
// the last one is not built (the poller only confirms it), so a field the builder reads but
// the fingerprint ignores would hide a change. Every field of every element of the test
// inventories is set, one at a time, to two values: where the fingerprints agree, the indexes
// built from the two must be the same, under options that make the builder read all it can.
func TestBuildReadsOnlyWhatTheFingerprintCounts(t *testing.T) {
	opts := Options{TTL: 60, Authoritative: true, PrivateDNS: PrivateDNSAll, Affinity: AffinityPrefer}
	base := testkit.ReadSnapshots(t, "../testdata/answers.json", "../testdata/affinity.json", "../testdata/resource.json", "../../../example/snapshot.json")
	invType := reflect.TypeFor[inventory.Inventory]()
	checked := 0
	for f := range invType.NumField() {
		list := invType.Field(f).Name
		for _, path := range testkit.LeafPaths(invType.Field(f).Type.Elem(), "") {
			for i := range reflect.ValueOf(base).Elem().Field(f).Len() {
				// A copy of base whose element i (a deep copy) has the field set to v.
				variant := func(v int) *inventory.Inventory {
					inv := *base
					list := reflect.ValueOf(&inv).Elem().Field(f)
					copied := reflect.MakeSlice(list.Type(), list.Len(), list.Len())
					reflect.Copy(copied, list)
					elem := reflect.New(list.Type().Elem())
					data, err := json.Marshal(list.Index(i).Interface())
					if err == nil {
						err = json.Unmarshal(data, elem.Interface())
					}
					if err != nil {
						t.Fatal(err)
					}
					testkit.SetPath(elem.Elem(), strings.Split(path, "."), v)
					copied.Index(i).Set(elem.Elem())
					list.Set(copied)
					return &inv
				}
				one, two := variant(1), variant(2)
				if inventory.Fingerprint(inventory.NewCompact(one)) != inventory.Fingerprint(inventory.NewCompact(two)) {
					continue
				}
				checked++
				ix1, _ := Build(inventory.NewCompact(one), opts)
				ix2, _ := Build(inventory.NewCompact(two), opts)
				if d1, d2 := dumpIndex(ix1), dumpIndex(ix2); d1 != d2 {
					t.Errorf("%s[%d].%s: the fingerprint ignores it, the build does not:\n%s\n---\n%s", list, i, path, d1, d2)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no field left the fingerprint unchanged: nothing was checked")
	}
}

// dumpIndex renders what an index serves: every name with its records, AZs and zone, the
// zone apexes, and the client ranges.
func dumpIndex(ix *Index) string {
	var lines []string
	tab := tableOf(ix)
	for star, m := range map[string]map[string]servedName{"": tab.exact, "*.": tab.wild} {
		for name, s := range m {
			lines = append(lines, fmt.Sprintf("%s%s %v a=%v %v aaaa=%v %v zone=%v inbound=%q",
				star, name, s.kind, s.a, s.aAZ, s.aaaa, s.aaaaAZ, s.zone, s.inboundVPC))
		}
	}
	if ix.custom != nil {
		for name, c := range ix.custom.names {
			lines = append(lines, fmt.Sprintf("custom %s -> %s zone=%s", name, c.target, c.zone))
		}
		for region, rs := range ix.custom.stats.Regions {
			lines = append(lines, fmt.Sprintf("custom stats %s %+v", region, *rs))
		}
	}
	for apex := range tab.apexes {
		lines = append(lines, "apex "+apex)
	}
	if ix.clients != nil {
		for p, pl := range ix.clients.prefixes {
			lines = append(lines, fmt.Sprintf("client %s %v", p, pl))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestCompactKeepsWhatBuilds checks that a compacted inventory, what the merger and the EC2
// API source keep, builds the same index and has the same fingerprint as the inventory it was
// made from.
func TestCompactKeepsWhatBuilds(t *testing.T) {
	acct := synth.Generate(50, synth.Options{AllFields: true})
	invs := map[string]*inventory.Inventory{
		"synthetic": {VpcEndpoints: acct.VpcEndpoints, NetworkInterfaces: acct.NetworkInterfaces},
		"snapshots": testkit.ReadSnapshots(t, fuzzSnapshots...),
	}
	for name, inv := range invs {
		trimmed := inventory.NewCompact(inv).Inventory()
		if inventory.Fingerprint(inventory.NewCompact(trimmed)) != inventory.Fingerprint(inventory.NewCompact(inv)) {
			t.Errorf("%s: the compacted inventory's fingerprint differs", name)
		}
		for _, opts := range []Options{{TTL: 60}, {TTL: 60, Authoritative: true, PrivateDNS: PrivateDNSAll, Affinity: AffinityPrefer}} {
			full, _ := Build(inventory.NewCompact(inv), opts)
			cut, _ := Build(inventory.NewCompact(trimmed), opts)
			if d1, d2 := dumpIndex(full), dumpIndex(cut); d1 != d2 {
				t.Errorf("%s %+v: the compacted inventory builds another index:\n%s\n---\n%s", name, opts, d1, d2)
			}
		}
	}
}
