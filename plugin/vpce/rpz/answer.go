package rpz

import (
	"net"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/miekg/dns"
)

// Answer answers a question for name, a lower-case FQDN at or below the origin, as the zone's
// primary server: secondaries ask for its SOA, and an operator may ask for a name to see what
// the zone says. Records are owned by owner, the question's name as asked. A name the zone
// holds only as part of longer names (amazonaws.com under the origin) is answered NXDOMAIN:
// nothing resolves through the zone, it is only transferred.
func (z *Zone) Answer(name, owner string, qtype uint16) (rcode int, answer, authority []dns.RR) {
	if name == z.origin {
		switch qtype {
		case dns.TypeSOA:
			return dns.RcodeSuccess, []dns.RR{z.SOA()}, nil
		case dns.TypeNS:
			return dns.RcodeSuccess, []dns.RR{z.NS()}, nil
		}
		return dns.RcodeSuccess, nil, []dns.RR{z.SOA()}
	}
	rel := name[:len(name)-len(z.origin)]
	if !z.in([]byte(rel)) {
		return dns.RcodeNameError, nil, []dns.RR{z.SOA()}
	}
	if c, ok := z.ix.Custom([]byte(rel)); ok {
		return dns.RcodeSuccess, []dns.RR{z.rrNamed(&record{rrtype: dns.TypeCNAME, target: c.Target(nil)}, owner)}, nil
	}
	set, _, res := z.ix.Lookup([]byte(rel))
	if res != index.Answer {
		return dns.RcodeNameError, nil, []dns.RR{z.SOA()}
	}
	if qtype == dns.TypeA || qtype == dns.TypeAAAA {
		z.ix.Addrs(z.ix.RRset(set), qtype, 0, nil, func(ip net.IP) {
			answer = append(answer, z.rrNamed(&record{rrtype: qtype, ip: ip}, owner))
		})
	}
	if len(answer) == 0 {
		return dns.RcodeSuccess, nil, []dns.RR{z.SOA()}
	}
	return dns.RcodeSuccess, answer, nil
}
