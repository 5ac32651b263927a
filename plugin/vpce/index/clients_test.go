package index

import (
	"net/netip"
	"testing"
)

// TestScopeIsExact checks scope against every address of a /24 with nested ranges and gaps:
// all addresses under the scope have the client's longest match (or none, like it), and
// one bit less would take in an address that has another.
func TestScopeIsExact(t *testing.T) {
	table := &clientTable{}
	for _, s := range []string{"10.0.0.0/26", "10.0.0.64/27", "10.0.0.128/25", "10.0.0.200/30", "10.0.0.7/32", "10.0.1.0/24"} {
		p := netip.MustParsePrefix(s)
		table.add(p, Place{az: azKey{name: s}}) // a place per range: any other match is another answer
	}
	sameUnder := func(p netip.Prefix, want Place, wantOK bool) bool {
		for a := p.Masked().Addr(); p.Contains(a); a = a.Next() {
			if pl, ok := table.lookup(a); ok != wantOK || pl != want {
				return false
			}
		}
		return true
	}
	for a := netip.MustParseAddr("10.0.0.0"); a.Less(netip.MustParseAddr("10.0.1.0")); a = a.Next() {
		want, ok := table.lookup(a)
		scope := int(table.scope(a, 32))
		if !sameUnder(netip.PrefixFrom(a, scope), want, ok) {
			t.Errorf("%s: scope /%d holds clients placed elsewhere", a, scope)
		}
		if sameUnder(netip.PrefixFrom(a, scope-1), want, ok) {
			t.Errorf("%s: scope /%d, but /%d holds its answer", a, scope, scope-1)
		}
	}
}
