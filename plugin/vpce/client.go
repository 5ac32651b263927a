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

// place is what the plugin knows of a client address: its AZ and, for a VPC subnet, the VPC.
type place struct {
	az  azKey
	vpc string
}

// clientTable maps client addresses to places: the subnets of the served VPCs (from
// DescribeSubnets) and the `zone` lines, which win. The longest prefix matches.
type clientTable struct {
	bits     []int // prefix lengths present, longest first
	prefixes map[netip.Prefix]place
}

func (t *clientTable) add(p netip.Prefix, pl place) {
	if t.prefixes == nil {
		t.prefixes = map[netip.Prefix]place{}
	}
	p = p.Masked()
	t.prefixes[p] = pl
	if !slices.Contains(t.bits, p.Bits()) {
		t.bits = append(t.bits, p.Bits())
		slices.SortFunc(t.bits, func(a, b int) int { return b - a })
	}
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

// clientAddr is the address a query is answered for: the packet's source, or the EDNS Client
// Subnet address when the packet comes from a trusted forwarder (a NodeLocal cache, an on-prem
// resolver) that passes its client's address on.
func clientAddr(w dns.ResponseWriter, r *dns.Msg, trusted []netip.Prefix) netip.Addr {
	src := addrOf(w.RemoteAddr())
	if len(trusted) == 0 || !src.IsValid() {
		return src
	}
	fromTrusted := false
	for _, p := range trusted {
		if p.Contains(src) {
			fromTrusted = true
			break
		}
	}
	if !fromTrusted {
		return src
	}
	if opt := r.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if ecs, ok := o.(*dns.EDNS0_SUBNET); ok {
				if a, ok := netip.AddrFromSlice(ecs.Address); ok {
					return a.Unmap()
				}
			}
		}
	}
	return src
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
