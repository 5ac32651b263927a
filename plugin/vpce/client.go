package vpce

import (
	"net"
	"net/netip"

	"github.com/miekg/dns"
)

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
