package vpce

import (
	"net"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/miekg/dns"
)

// inlineRecords is how many records of each address type a reply holds without a second
// allocation: an endpoint has one interface per AZ, most in two to four AZs. The reply is
// allocated per query, so its size is what each answer costs the garbage collector.
const inlineRecords = 4

// reply is a response with room for its records in one allocation: the query path builds
// fresh records for every answer (the owner name echoes the question's case, and plugins
// before this one may rewrite what they are handed) without allocating each one.
type reply struct {
	msg  dns.Msg
	q    [1]dns.Question
	rrs  [2 * inlineRecords]dns.RR
	a    [inlineRecords]dns.A
	aaaa [inlineRecords]dns.AAAA
	soa  [1]dns.RR
	soaC dns.SOA
}

// newReply starts the response to r, with the flags of a recursive resolver's answer
// (qr rd ra, no aa), as Route 53 Resolver gives them.
func newReply(r *dns.Msg, rcode int) *reply {
	p := &reply{}
	m := &p.msg
	m.Id = r.Id
	m.Response = true
	m.Opcode = r.Opcode
	m.RecursionDesired = r.RecursionDesired
	m.RecursionAvailable = true
	m.CheckingDisabled = r.CheckingDisabled
	m.Rcode = rcode
	p.q[0] = r.Question[0]
	m.Question = p.q[:]
	m.Answer = p.rrs[:0]
	return p
}

// add appends an address record for name.
func (p *reply) add(name string, rrtype uint16, ttl uint32, ip net.IP) {
	hdr := dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
	k := len(p.msg.Answer)
	var rr dns.RR
	// The inline records first; only a reply with more records than they hold allocates.
	if rrtype == dns.TypeA {
		var a *dns.A
		if k < len(p.a) {
			a = &p.a[k]
		} else {
			a = new(dns.A)
		}
		a.Hdr, a.A = hdr, ip
		rr = a
	} else {
		var aaaa *dns.AAAA
		if k < len(p.aaaa) {
			aaaa = &p.aaaa[k]
		} else {
			aaaa = new(dns.AAAA)
		}
		aaaa.Hdr, aaaa.AAAA = hdr, ip
		rr = aaaa
	}
	p.msg.Answer = append(p.msg.Answer, rr)
}

// The SOA of Route 53's private hosted zones, with the negative TTL set to the plugin's TTL
// so that a name that appears is answered within one TTL.
const (
	soaNs   = "ns-1536.awsdns-00.co.uk."
	soaMbox = "awsdns-hostmaster.amazon.com."
)

// setSOA puts the SOA of zone in the authority section of a negative answer.
func (p *reply) setSOA(zone string, ttl uint32) {
	p.soaC = dns.SOA{
		Hdr:     dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:      soaNs,
		Mbox:    soaMbox,
		Serial:  1,
		Refresh: 7200,
		Retry:   900,
		Expire:  1209600,
		Minttl:  ttl,
	}
	p.soa[0] = &p.soaC
	p.msg.Ns = p.soa[:]
}

// answer fills p with the records of rs of the question's type, rotated and ordered for the
// client; a name without such records gets an empty NOERROR answer with the zone's SOA
// (NODATA).
func (p *reply) answer(ix *index.Index, rs *index.RRset, q dns.Question, client *index.Place) index.Result {
	start := rs.Rotate()
	ttl := ix.TTL()
	for _, rrtype := range [...]uint16{dns.TypeA, dns.TypeAAAA} {
		if q.Qtype == rrtype || q.Qtype == dns.TypeANY {
			ix.Addrs(rs, rrtype, start, client, func(ip net.IP) { p.add(q.Name, rrtype, ttl, ip) })
		}
	}
	if len(p.msg.Answer) == 0 {
		p.setSOA(ix.Zone(rs), ttl)
		return index.Nodata
	}
	return index.Answer
}

// ecsEcho is the OPT record that echoes a query's Client Subnet option, in one allocation that
// only queries with the option pay for.
type ecsEcho struct {
	opt   dns.OPT
	opts  [1]dns.EDNS0
	extra [1]dns.RR
	ecs   dns.EDNS0_SUBNET
}

// setECS echoes the query's Client Subnet option ecs in m with scope, as RFC 7871 7.2.1 asks,
// so that a cache that honours it keeps a tailored answer to the clients it was chosen for; q
// is the query's OPT record. A reply with an OPT record of its own (the next plugin's) keeps
// it; a Client Subnet option in it keeps the longer of both scopes. CoreDNS's server copies
// only registered options from the query to a reply without OPT, and leaves a reply's own
// OPT options alone: the echo has to be in the reply.
func setECS(m *dns.Msg, q *dns.OPT, ecs *dns.EDNS0_SUBNET, scope uint8) {
	opt := m.IsEdns0()
	if opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_SUBNET); ok {
				e.SourceScope = max(e.SourceScope, scope)
				return
			}
		}
	}
	e := &ecsEcho{ecs: *ecs}
	e.ecs.SourceScope = scope
	if opt != nil {
		opt.Option = append(opt.Option, &e.ecs)
		return
	}
	e.opt.Hdr = dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}
	e.opt.SetUDPSize(q.UDPSize())
	e.opts[0] = &e.ecs
	e.opt.Option = e.opts[:]
	if len(m.Extra) == 0 {
		m.Extra = e.extra[:0]
	}
	m.Extra = append(m.Extra, &e.opt)
}
