package vpce

import (
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

// add appends the records of f to the answer, rotated by start. With affinity and a client
// in a known AZ, that AZ's addresses come first (prefer) or alone (only; all of them when the
// AZ has none), so that traffic stays in the client's AZ.
func (p *reply) add(ix *index, name string, f family, start int, client *place) {
	local := 0
	if ix.affinity != affinityNone && client != nil {
		for k := range f.n {
			if _, az := ix.addr(f, k); az.matches(client.az) {
				local++
			}
		}
	}
	switch {
	case local == 0 || local == f.n:
		p.addMatching(ix, name, f, start, nil, false)
	case ix.affinity == affinityOnly:
		p.addMatching(ix, name, f, start, client, true)
	default:
		p.addMatching(ix, name, f, start, client, true)
		p.addMatching(ix, name, f, start, client, false)
	}
}

// addMatching appends, in rotated order, the addresses whose AZ is (or, with in false, is
// not) the client's; all of them without a client.
func (p *reply) addMatching(ix *index, name string, f family, start int, client *place, in bool) {
	for i := range f.n {
		ip, az := ix.addr(f, (start+i)%f.n)
		if client != nil && az.matches(client.az) != in {
			continue
		}
		hdr := dns.RR_Header{Name: name, Rrtype: f.rrtype, Class: dns.ClassINET, Ttl: ix.ttl}
		k := len(p.msg.Answer)
		var rr dns.RR
		// The inline records first; only a reply with more records than they hold allocates.
		if f.rrtype == dns.TypeA {
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

// answer fills p with the records of the question's type, rotated and ordered for the
// client; a name without such records gets an empty NOERROR answer with the zone's SOA
// (NODATA).
func (rs *rrset) answer(p *reply, q dns.Question, ix *index, client *place) result {
	start := int(rs.next.Add(1) - 1) // the first answer keeps interface order
	if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
		p.add(ix, q.Name, rs.family(dns.TypeA), start, client)
	}
	if q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY {
		p.add(ix, q.Name, rs.family(dns.TypeAAAA), start, client)
	}
	if len(p.msg.Answer) == 0 {
		p.setSOA(ix.nodeName(int(rs.zone)), ix.ttl)
		return resultNodata
	}
	return resultAnswer
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
