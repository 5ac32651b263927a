package vpce

import (
	"context"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/nonwriter"
	"github.com/miekg/dns"
)

// Resource and ServiceNetwork endpoints (PrivateLink for VPC resources) have no DnsEntries:
// each of their associations carries a default name under on.aws, public records that answer
// the endpoint's private addresses from anywhere, and, with private DNS, a custom name that
// AWS answers only inside the endpoint's VPC (a hidden private hosted zone). The plugin serves
// the custom names, as a CNAME to the default name followed by what the next plugin resolves
// for it: the EC2 API does not say which of the endpoint's addresses belong to which
// association, so the plugin cannot answer A records itself.

// serveCustom answers name, a lower-case FQDN, if it is a custom name of ix, or, with
// authoritative, below one and served by nothing else (NXDOMAIN, as the private hosted zone
// answers). It reports whether it answered.
func (v *VPCE) serveCustom(ctx context.Context, qc *queryCounters, ix *index.Index, w dns.ResponseWriter, r *dns.Msg, name []byte) (bool, int, error) {
	if c, ok := ix.Custom(name); ok {
		var client *index.Place
		var scope uint8
		if c.Shared() {
			pl, known, s := v.locate(ix, w, subnetOption(r.IsEdns0()), true)
			if known {
				client = &pl
			}
			scope = s
		}
		rc, err := v.answerCustom(ctx, qc, ix.TTL(), c.Target(client), scope, w, r)
		return true, rc, err
	}
	zone, ok := ix.UnderCustom(name)
	if !ok {
		return false, 0, nil
	}
	p := newReply(r, dns.RcodeNameError)
	p.setSOA(zone, ix.TTL())
	v.writeCustom(p, w, r, 0)
	qc.answers[index.Resource][index.NXDomain].Inc()
	return true, dns.RcodeNameError, nil
}

// answerCustom answers a custom name as a recursive resolver would: the CNAME, then the
// target's records as the next plugin resolves them, in one reply with the next plugin's
// rcode and authority section. A client asking for the CNAME itself gets it alone. If the
// next plugin fails, the client still gets the CNAME, with the failure's rcode. scope is the
// Client Subnet scope of the choice of target.
func (v *VPCE) answerCustom(ctx context.Context, qc *queryCounters, ttl uint32, target string, scope uint8, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	q := r.Question[0]
	p := newReply(r, dns.RcodeSuccess)
	p.msg.Answer = append(p.msg.Answer, &dns.CNAME{
		Hdr:    dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: ttl},
		Target: target,
	})
	var err error
	if q.Qtype != dns.TypeCNAME {
		sub := r.Copy()
		sub.Question[0].Name = target
		nw := nonwriter.New(w)
		var rc int
		rc, err = plugin.NextOrFailure(pluginName, v.Next, ctx, nw, sub)
		switch {
		case nw.Msg != nil:
			p.msg.Answer = append(p.msg.Answer, nw.Msg.Answer...)
			p.msg.Ns = nw.Msg.Ns
			p.msg.Rcode = nw.Msg.Rcode
			p.msg.Truncated = nw.Msg.Truncated
		case rc != dns.RcodeSuccess:
			p.msg.Rcode = rc // the next plugin left the reply to the server: nothing to add
		}
	}
	v.writeCustom(p, w, r, scope)
	qc.answers[index.Resource][index.Answer].Inc()
	if !plugin.ClientWrite(p.msg.Rcode) {
		return dns.RcodeSuccess, err // written: the server must not write an error reply too
	}
	return p.msg.Rcode, err
}

// writeCustom writes p, echoing the query's Client Subnet option at scope: 0 for an answer
// that is the same for every client.
func (v *VPCE) writeCustom(p *reply, w dns.ResponseWriter, r *dns.Msg, scope uint8) {
	opt := r.IsEdns0()
	if ecs := subnetOption(opt); ecs != nil {
		setECS(&p.msg, opt, ecs, scope)
	}
	w.WriteMsg(&p.msg)
}
