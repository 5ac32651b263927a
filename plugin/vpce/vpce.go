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
	"unicode/utf8"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/miekg/dns"
)

const pluginName = "vpce"

// VPCE is the plugin handler. It serves from the index last published by its sources.
type VPCE struct {
	Next plugin.Handler

	zones   zoneList       // the zones the plugin answers in
	trusted []netip.Prefix // forwarders whose EDNS Client Subnet is believed
	index   atomic.Pointer[index.Index]

	qc      atomic.Pointer[queryCounters]
	gaps    *gapReport
	merger  *merger
	rpz     *rpzZone // rpz ZONE: the view as a Response Policy Zone (rpz.go); nil without
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
	var buf [index.NameBuf]byte
	name := lowerName(&buf, q.Name) // the question itself keeps its case: answers echo it
	if v.rpz != nil && v.rpz.zone.holds(name) {
		return v.serveRPZ(ctx, qc, w, r, name)
	}
	if !v.zones.holds(name) {
		return v.passOn(ctx, qc, w, r)
	}
	if ix.HasCustom() { // resource.go: Resource and ServiceNetwork endpoints' custom names
		if done, rc, err := v.serveCustom(ctx, qc, ix, w, r, name); done {
			return rc, err
		}
	}
	set, zone, res := ix.Lookup(name)
	opt := r.IsEdns0()
	ecs := subnetOption(opt)
	var scope uint8 // the Client Subnet scope: 0 unless the client's subnet chose the answer
	var p *reply
	switch res {
	case index.Miss:
		v.gaps.observe(name)
		return v.passOn(ctx, qc, w, r)
	case index.NXDomain, index.Nodata:
		rcode := dns.RcodeSuccess
		if res == index.NXDomain {
			rcode = dns.RcodeNameError
		}
		p = newReply(r, rcode)
		p.setSOA(zone, ix.TTL())
		qc.answers[index.Private][res].Inc()
	case index.Answer:
		rs := ix.RRset(set)
		var client *index.Place
		if ix.Placing(rs) {
			var pl index.Place
			var known bool
			pl, known, scope = v.locate(ix, w, ecs, ix.PerClient(rs, q.Qtype))
			if known {
				client = &pl
			}
		}
		rs = ix.ForClient(set, client) // the client's VPC's own endpoint, if it has one
		if ix.Inside(rs, client) {
			if scope > 0 { // the next plugin's answer is for this VPC's clients only
				w = &scopeWriter{ResponseWriter: w, opt: opt, ecs: ecs, scope: scope}
			}
			return v.passOn(ctx, qc, w, r) // inside the VPC: the gateway endpoint's path
		}
		p = newReply(r, dns.RcodeSuccess)
		qc.answers[rs.Kind()][p.answer(ix, rs, q, client)].Inc()
	}
	if ecs != nil {
		setECS(&p.msg, opt, ecs, scope)
	}
	w.WriteMsg(&p.msg)
	return p.msg.Rcode, nil
}

// locate places the query's client in ix's client table: by its address, or by the Client
// Subnet option of a trusted forwarder. When the answer depends on the place (perClient) and
// the option placed the client, scope is the option's scope for it, else 0.
func (v *VPCE) locate(ix *index.Index, w dns.ResponseWriter, ecs *dns.EDNS0_SUBNET, perClient bool) (pl index.Place, known bool, scope uint8) {
	addr, fromECS := clientAddr(w, ecs, v.trusted)
	pl, known = ix.Place(addr)
	if fromECS && perClient {
		scope = ix.Scope(addr, ecs.SourceNetmask)
	}
	return pl, known, scope
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

// zoneList is a list of zones, lower-case FQDNs, each with its dotted form for allocation-free
// suffix tests.
type zoneList struct{ names, dotted []string }

func newZoneList(zones ...string) zoneList {
	var l zoneList
	for _, z := range zones {
		z = strings.ToLower(dns.Fqdn(z))
		l.names = append(l.names, z)
		l.dotted = append(l.dotted, "."+z)
	}
	return l
}

// holds reports whether the lower-case FQDN name is in one of the zones.
func (l zoneList) holds(name []byte) bool {
	for i, z := range l.names {
		if z == "." || string(name) == z || hasSuffix(name, l.dotted[i]) && !index.Escaped(name, len(name)-len(l.dotted[i])) {
			return true
		}
	}
	return false
}

// lowerName returns name lower-cased as strings.ToLower does, in buf when it fits, so that a
// mixed-case question costs no allocation. What is derived from it must not outlive the query.
func lowerName(buf *[index.NameBuf]byte, name string) []byte {
	if len(name) > len(buf) { // \DDD escapes: four characters for one octet
		return []byte(strings.ToLower(name))
	}
	b := buf[:len(name)]
	for i := range len(name) {
		c := name[i]
		if c >= utf8.RuneSelf { // not ASCII: Unicode's case mapping, as strings.ToLower's
			return []byte(strings.ToLower(name))
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return b
}

// hasSuffix is bytes.HasSuffix for a string suffix, without converting it.
func hasSuffix(b []byte, suffix string) bool {
	return len(b) >= len(suffix) && string(b[len(b)-len(suffix):]) == suffix
}
