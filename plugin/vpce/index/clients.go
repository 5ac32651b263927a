package index

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// azKey identifies an Availability Zone. AZ names are shuffled per account (one account's
// us-east-1a is another's us-east-1c); AZ IDs (use1-az4) are not, so IDs are compared where
// both sides have one.
type azKey struct{ name, id string }

// clone is k in memory of its own. What an index keeps must not be a part of the inventory's
// strings: a Compact holds them in large blocks, and one kept string would keep its block, and
// with it the memory of every other string there, long after the inventory is dropped.
func (k azKey) clone() azKey { return azKey{strings.Clone(k.name), strings.Clone(k.id)} }

func (k azKey) matches(o azKey) bool {
	if k.id != "" && o.id != "" {
		return k.id == o.id
	}
	return k.name != "" && k.name == o.name
}

// Place is what the plugin knows of a client address: its AZ and its VPC, either unknown.
type Place struct {
	az  azKey
	vpc string
}

// clientTable maps client addresses to places: the subnets of the served VPCs (from
// DescribeSubnets), then the `zone` and `client_vpc` lines, which win over a subnet of the same
// range. The longest prefix matches; what its range does not say (the VPC of a zone line, the
// AZ of a client_vpc line) it takes from the closest range around it that does.
type clientTable struct {
	bits     []int // prefix lengths present, longest first
	prefixes map[netip.Prefix]Place
	// outer holds the prefixes that strictly contain one of the table's (all the shorter
	// prefixes of each), for scope.
	outer map[netip.Prefix]struct{}
}

// add places the range p: what pl says (its AZ, its VPC) replaces what the range had.
func (t *clientTable) add(p netip.Prefix, pl Place) {
	if t.prefixes == nil {
		t.prefixes = map[netip.Prefix]Place{}
		t.outer = map[netip.Prefix]struct{}{}
	}
	p = p.Masked()
	if old, ok := t.prefixes[p]; ok {
		pl = old.with(pl)
	}
	t.prefixes[p] = pl
	if !slices.Contains(t.bits, p.Bits()) {
		t.bits = append(t.bits, p.Bits())
		slices.SortFunc(t.bits, func(a, b int) int { return b - a })
	}
	for bits := p.Bits() - 1; bits >= 0; bits-- {
		o, _ := p.Addr().Prefix(bits)
		if _, ok := t.outer[o]; ok {
			break // and so are the shorter ones
		}
		t.outer[o] = struct{}{}
	}
}

// with is p with what o knows replacing what p knows.
func (p Place) with(o Place) Place {
	if o.az != (azKey{}) {
		p.az = o.az
	}
	if o.vpc != "" {
		p.vpc = o.vpc
	}
	return p
}

// inherit completes each range's place from the ranges around it, closest first: a zone line
// inside a VPC's subnet is in that VPC, a subnet inside a client_vpc line keeps its own VPC.
// Called once the table is whole.
func (t *clientTable) inherit() {
	completed := make(map[netip.Prefix]Place, len(t.prefixes))
	for p, pl := range t.prefixes {
		for _, bits := range t.bits {
			if pl.az != (azKey{}) && pl.vpc != "" {
				break
			}
			if bits >= p.Bits() {
				continue
			}
			outer, _ := p.Addr().Prefix(bits)
			if o, ok := t.prefixes[outer]; ok {
				pl = o.with(pl)
			}
		}
		completed[p] = pl
	}
	t.prefixes = completed
}

// lookup returns the place of addr, if a prefix holds it.
func (t *clientTable) lookup(addr netip.Addr) (Place, bool) {
	if t == nil || !addr.IsValid() {
		return Place{}, false
	}
	for _, bits := range t.bits {
		if bits > addr.BitLen() {
			continue
		}
		p, err := addr.Prefix(bits)
		if err != nil {
			continue
		}
		if pl, ok := t.prefixes[p]; ok {
			return pl, true
		}
	}
	return Place{}, false
}

// scope is the Client Subnet scope (RFC 7871) of the answer chosen for addr, an option's
// address cut to source bits: the shortest prefix of addr that strictly contains none of the
// table's ranges, so that every client in it has addr's longest match (or, like addr, none).
// The matched range alone can be too short: a longer one inside it (a zone line over a
// subnet) places some of its clients elsewhere. An address that matched nothing does not get
// scope 0 either: a cache would hand its answer, every AZ's, to clients of known ranges. The
// scope is capped at source: the bits beyond were never sent, so the whole source prefix gets
// this answer anyway.
func (t *clientTable) scope(addr netip.Addr, source uint8) uint8 {
	// outer is closed under shortening, so the prefixes of addr in it are those up to some
	// length: a binary search finds the first one not in it.
	lo, hi := 0, min(int(source), addr.BitLen())
	for lo < hi {
		mid := (lo + hi) / 2
		p, _ := addr.Prefix(mid)
		if _, ok := t.outer[p]; ok {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return uint8(lo)
}

// buildClients maps client ranges to places: the subnets' CIDRs, IPv4 and IPv6, then the
// zone and client_vpc lines over them. A zone line may name an AZ or an AZ ID; a name is given
// the ID the inventory's subnets and interfaces know it by, so that it matches across accounts.
func buildClients(inv *inventory.Compact, ranges []AZRange, vpcRanges []VPCRange) *clientTable {
	t := &clientTable{}
	ids := map[string]string{} // AZ name -> ID
	for i := range inv.Subnets {
		sn := &inv.Subnets[i]
		az := azKey{name: strings.ToLower(sn.AZ), id: strings.ToLower(sn.AZID)}
		pl := Place{vpc: strings.Clone(sn.VPC), az: az.clone()}
		if pl.az.id != "" {
			ids[pl.az.name] = pl.az.id
		}
		if p, err := netip.ParsePrefix(sn.CIDR); err == nil {
			t.add(p, pl)
		}
		for _, cidr := range sn.IPv6CIDRs {
			if p, err := netip.ParsePrefix(cidr); err == nil {
				t.add(p, pl)
			}
		}
	}
	for i := range inv.Interfaces {
		// The subnets' naming first: interfaces of other accounts may name AZs differently.
		name, id := strings.ToLower(inv.Interfaces[i].AZ), strings.ToLower(inv.Interfaces[i].AZID)
		if _, known := ids[name]; !known && id != "" {
			ids[name] = id
		}
	}
	for _, r := range ranges {
		az := azKey{name: r.AZ}
		if azIDPattern.MatchString(r.AZ) {
			az = azKey{id: r.AZ}
		} else {
			az.id = ids[r.AZ]
		}
		for _, p := range r.Prefixes {
			t.add(p, Place{az: az})
		}
	}
	for _, r := range vpcRanges {
		for _, p := range r.Prefixes {
			t.add(p, Place{vpc: strings.Clone(r.VPC)})
		}
	}
	if len(t.prefixes) == 0 {
		return nil
	}
	t.inherit()
	return t
}

// azIDPattern matches AZ IDs: use1-az4, apne1-az1, usw2-lax1-az1.
var azIDPattern = regexp.MustCompile(`^[a-z]{2,5}[0-9]+(-[a-z]+[0-9]+)?-az[0-9]+$`)
