package vpce

import (
	"net"

	"github.com/miekg/dns"
)

// inlineRecords is how many records of each address type a reply holds without a second
// allocation: an endpoint has one interface per AZ, and regions have at most six AZs.
const inlineRecords = 6

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

// addA appends the A records of ips to the answer, starting at offset start and wrapping
// around, so that successive queries see the addresses in rotating order.
func (p *reply) addA(name string, ttl uint32, ips []net.IP, start int) {
	for i := range ips {
		ip := ips[(start+i)%len(ips)]
		rr := &dns.A{}
		if i < inlineRecords {
			rr = &p.a[i]
		}
		rr.Hdr = dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}
		rr.A = ip
		p.msg.Answer = append(p.msg.Answer, rr)
	}
}

// addAAAA is addA for AAAA records.
func (p *reply) addAAAA(name string, ttl uint32, ips []net.IP, start int) {
	for i := range ips {
		ip := ips[(start+i)%len(ips)]
		rr := &dns.AAAA{}
		if i < inlineRecords {
			rr = &p.aaaa[i]
		}
		rr.Hdr = dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl}
		rr.AAAA = ip
		p.msg.Answer = append(p.msg.Answer, rr)
	}
}

// setSOA puts a copy of the zone's SOA in the authority section of a negative answer.
func (p *reply) setSOA(soa *dns.SOA) {
	p.soaC = *soa
	p.soa[0] = &p.soaC
	p.msg.Ns = p.soa[:]
}
