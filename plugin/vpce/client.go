package vpce

import (
	"net"
	"net/netip"
	"slices"

	"github.com/miekg/dns"
)

// azKey identifies an Availability Zone. AZ names are shuffled per account (one account's
// us-east-1a is another's us-east-1c); AZ IDs (use1-az4) are not, so IDs are compared where
// both sides have one.
type azKey struct{ name, id string }

func (k azKey) matches(o azKey) bool {
	if k.id != "" && o.id != "" {
		return k.id == o.id
	}
	return k.name != "" && k.name == o.name
}

// place is what the plugin knows of a client address: its AZ and its VPC, either unknown.
type place struct {
	az  azKey
	vpc string
}

// clientTable maps client addresses to places: the subnets of the served VPCs (from
// DescribeSubnets), then the `zone` and `client_vpc` lines, which win over a subnet of the same
// range. The longest prefix matches; what its range does not say (the VPC of a zone line, the
// AZ of a client_vpc line) it takes from the closest range around it that does.
type clientTable struct {
	bits     []int // prefix lengths present, longest first
	prefixes map[netip.Prefix]place
	// outer holds the prefixes that strictly contain one of the table's (all the shorter
	// prefixes of each), for scope.
	outer map[netip.Prefix]struct{}
}

// add places the range p: what pl says (its AZ, its VPC) replaces what the range had.
func (t *clientTable) add(p netip.Prefix, pl place) {
	if t.prefixes == nil {
		t.prefixes = map[netip.Prefix]place{}
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
func (p place) with(o place) place {
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
	completed := make(map[netip.Prefix]place, len(t.prefixes))
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
func (t *clientTable) lookup(addr netip.Addr) (place, bool) {
	if t == nil || !addr.IsValid() {
		return place{}, false
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
	return place{}, false
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

// subnetOption returns the EDNS Client Subnet option of a query's OPT record, if any.
func subnetOption(opt *dns.OPT) *dns.EDNS0_SUBNET {
	if opt == nil {
		return nil
	}
	for _, o := range opt.Option {
		if ecs, ok := o.(*dns.EDNS0_SUBNET); ok {
			return ecs
		}
	}
	return nil
}

// clientAddr is the address a query is answered for: the packet's source, or the EDNS Client
// Subnet address (ecs, if not nil) when the packet comes from a trusted forwarder (a NodeLocal
// cache, an on-prem resolver) that passes its client's address on; fromECS says which.
func clientAddr(w dns.ResponseWriter, ecs *dns.EDNS0_SUBNET, trusted []netip.Prefix) (addr netip.Addr, fromECS bool) {
	src := addrOf(w.RemoteAddr())
	if ecs == nil || !src.IsValid() {
		return src, false
	}
	for _, p := range trusted {
		if p.Contains(src) {
			if a, ok := subnetAddr(ecs); ok {
				return a, true
			}
			break
		}
	}
	return src, false
}

// subnetAddr is the address of a Client Subnet option, cut to its source prefix. An IPv4
// option's address is kept as IPv4 (miekg/dns holds it in IPv6 form); an IPv6 one stays IPv6
// even if IPv4-mapped, so that its prefix lengths keep counting IPv6 bits.
func subnetAddr(ecs *dns.EDNS0_SUBNET) (netip.Addr, bool) {
	ip := ecs.Address
	if ecs.Family != 2 {
		ip = ip.To4() // family 1, or dig's family 0 with a /0 source
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}, false
	}
	p, err := a.Prefix(int(ecs.SourceNetmask))
	if err != nil {
		return netip.Addr{}, false
	}
	return p.Addr(), true
}

func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
