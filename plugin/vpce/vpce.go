// Package vpce is a CoreDNS plugin that answers for AWS interface VPC endpoint names (regional,
// zonal and private DNS names) the way Route 53 Resolver does inside the endpoint's VPC, from a
// cached inventory of the account's endpoints, and hands every other query to the next plugin.
package vpce

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/miekg/dns"
)

const pluginName = "vpce"

// VPCE is the plugin handler. It serves from the index last published by its sources.
type VPCE struct {
	Next plugin.Handler

	zones   []string       // lower-case FQDNs the plugin answers in
	dotted  []string       // the zones with a leading dot, for allocation-free suffix tests
	trusted []netip.Prefix // forwarders whose EDNS Client Subnet is believed
	index   atomic.Pointer[index]

	qc      atomic.Pointer[queryCounters]
	gaps    *gapReport
	merger  *merger
	cancel  context.CancelFunc
	running sync.WaitGroup
}

// Name implements plugin.Handler.
func (v *VPCE) Name() string { return pluginName }

// ServeDNS implements plugin.Handler.
func (v *VPCE) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if len(r.Question) != 1 || r.Question[0].Qclass != dns.ClassINET {
		return v.passOn(ctx, v.counters(metrics.WithServer(ctx)), w, r)
	}
	qc := v.counters(metrics.WithServer(ctx))
	ix := v.index.Load()
	if ix == nil {
		return v.passOn(ctx, qc, w, r)
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name) // no allocation for an all-lower-case name
	if !v.inZones(name) {
		return v.passOn(ctx, qc, w, r)
	}
	rs, soa, res := ix.lookup(name)
	opt := r.IsEdns0()
	ecs := subnetOption(opt)
	var scope uint8 // the Client Subnet scope: 0 unless the client's subnet chose the answer
	var p *reply
	switch res {
	case miss:
		v.gaps.observe(name)
		return v.passOn(ctx, qc, w, r)
	case nxdomain:
		p = newReply(r, dns.RcodeNameError)
		p.setSOA(soa)
		qc.answers[kindPrivate][resultNXDomain].Inc()
	case nodata:
		p = newReply(r, dns.RcodeSuccess)
		p.setSOA(soa)
		qc.answers[kindPrivate][resultNodata].Inc()
	case found:
		var client *place
		if ix.clients != nil && (ix.affinity != affinityNone || rs.inboundOnlyVPC != "") {
			addr, fromECS := clientAddr(w, ecs, v.trusted)
			if pl, ok := ix.clients.lookup(addr); ok {
				client = &pl
			}
			if fromECS && rs.perClient(q.Qtype, ix.affinity) {
				scope = ix.clients.scope(addr, ecs.SourceNetmask)
			}
		}
		if rs.inboundOnlyVPC != "" && client != nil && client.vpc == rs.inboundOnlyVPC {
			if scope > 0 { // the next plugin's answer is for this VPC's clients only
				w = &scopeWriter{ResponseWriter: w, opt: opt, ecs: ecs, scope: scope}
			}
			return v.passOn(ctx, qc, w, r) // inside the VPC: the gateway endpoint's path
		}
		p = newReply(r, dns.RcodeSuccess)
		qc.answers[rs.kind][rs.answer(p, q, ix, client)].Inc()
	}
	if ecs != nil {
		setECS(&p.msg, opt, ecs, scope)
	}
	w.WriteMsg(&p.msg)
	return p.msg.Rcode, nil
}

// scopeWriter echoes the query's Client Subnet option with its scope in the next plugin's
// reply, when passing the query on depended on the client.
type scopeWriter struct {
	dns.ResponseWriter
	opt   *dns.OPT
	ecs   *dns.EDNS0_SUBNET
	scope uint8
}

// WriteMsg implements dns.ResponseWriter.
func (w *scopeWriter) WriteMsg(m *dns.Msg) error {
	setECS(m, w.opt, w.ecs, w.scope)
	return w.ResponseWriter.WriteMsg(m)
}

func (v *VPCE) passOn(ctx context.Context, qc *queryCounters, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	qc.passed.Inc()
	return plugin.NextOrFailure(pluginName, v.Next, ctx, w, r)
}

// answer fills p with the records of the question's type, rotated and ordered for the
// client; a name without such records gets an empty NOERROR answer with the zone's SOA
// (NODATA).
func (rs *rrset) answer(p *reply, q dns.Question, ix *index, client *place) answerResult {
	start := int(rs.next.Add(1) - 1) // the first answer keeps interface order
	if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
		p.add(q.Name, ix.ttl, dns.TypeA, &rs.a, start, ix.affinity, client)
	}
	if q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY {
		p.add(q.Name, ix.ttl, dns.TypeAAAA, &rs.aaaa, start, ix.affinity, client)
	}
	if len(p.msg.Answer) == 0 {
		p.setSOA(rs.soa)
		return resultNodata
	}
	return resultAnswer
}

// inZones reports whether the lower-case FQDN name is in one of the plugin's zones.
func (v *VPCE) inZones(name string) bool {
	for i, z := range v.zones {
		if z == "." || name == z || strings.HasSuffix(name, v.dotted[i]) && !escaped(name, len(name)-len(v.dotted[i])) {
			return true
		}
	}
	return false
}
