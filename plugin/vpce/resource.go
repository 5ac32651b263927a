package vpce

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/nonwriter"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// Resource and ServiceNetwork endpoints (PrivateLink for VPC resources) have no DnsEntries:
// each of their associations carries a default name under on.aws, public records that answer
// the endpoint's private addresses from anywhere, and, with private DNS, a custom name that
// AWS answers only inside the endpoint's VPC (a hidden private hosted zone). The plugin serves
// the custom names, as a CNAME to the default name followed by what the next plugin resolves
// for it: the EC2 API does not say which of the endpoint's addresses belong to which
// association, so the plugin cannot answer A records itself.

// servedType reports whether the plugin serves endpoints of type t (compared ignoring case).
func servedType(t string) bool {
	return slices.ContainsFunc([]types.VpcEndpointType{types.VpcEndpointTypeInterface, types.VpcEndpointTypeResource,
		types.VpcEndpointTypeServiceNetwork}, func(s types.VpcEndpointType) bool { return strings.EqualFold(t, string(s)) })
}

// endpointType is the type label of the endpoints gauge.
type endpointType uint8

const (
	typeInterface endpointType = iota
	typeResource
	typeServiceNetwork
	numEndpointTypes
)

func (t endpointType) String() string {
	return [...]string{"Interface", "Resource", "ServiceNetwork"}[t]
}

// Association accessibility values; any other is left out with a warning, as an unknown enum.
const (
	accessible   = "Accessible"
	inaccessible = "Inaccessible"
)

// customName is a custom name of an association: it answers with a CNAME to target.
type customName struct {
	target string // the association's default name, a lower-case FQDN
	zone   string // the private hosted zone AWS names after the custom name: the name itself
	// perVPC are the other VPCs' own associations for a name offered in several VPCs: each
	// VPC's clients get theirs.
	perVPC []vpcTarget
}

// vpcTarget is the default name a VPC's clients get for a custom name.
type vpcTarget struct{ vpc, target string }

// targetFor is the default name a client in vpc gets.
func (c *customName) targetFor(vpc string) string {
	for _, t := range c.perVPC {
		if t.vpc == vpc {
			return t.target
		}
	}
	return c.target
}

// customTable holds the custom names of one index, by lower-case FQDN. It is immutable once
// published.
type customTable struct {
	names         map[string]*customName
	authoritative bool // NXDOMAIN below a custom name, as its private hosted zone answers
	stats         map[string]*regionStats
}

// customClaim is one association's offer of a custom name, while the table is built.
type customClaim struct {
	ep     *inventory.Endpoint
	target string
	region string
	typ    endpointType
}

// buildCustomNames collects the custom names of the available Resource and ServiceNetwork
// endpoints with private DNS, from their Accessible associations. An association whose
// AssociatedResourceAccessibility the plugin does not know is left out and noted in unknown;
// names that cannot be served, and names two associations offer, go to report. It returns
// nil when there is nothing to serve.
func buildCustomNames(inv *inventory.Compact, opts buildOptions, unknown *unknownEnums, report *buildReport) *customTable {
	if opts.privateDNS == privateDNSOff || len(inv.Associations) == 0 {
		return nil
	}
	// The first of duplicate endpoints decides, as in the index builder: fresh sources come
	// before the cache file's inventory.
	eps := map[string]*inventory.Endpoint{}
	seen := map[string]bool{}
	for i := range inv.Endpoints {
		ep := &inv.Endpoints[i]
		id := strings.ToLower(ep.ID)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if _, lattice := latticeType(ep.Type); lattice && servesCustomNames(ep, opts) {
			eps[id] = ep
		}
	}
	claims := map[string][]offer[customClaim]{}
	var names []string // in the order first offered, for the report
	assocSeen := map[string]bool{}
	for i := range inv.Associations {
		as := &inv.Associations[i]
		id := aws.ToString(as.Id)
		if assocSeen[id] {
			continue
		}
		assocSeen[id] = true
		ep, ok := eps[strings.ToLower(aws.ToString(as.VpcEndpointId))]
		if !ok {
			continue
		}
		switch acc := aws.ToString(as.AssociatedResourceAccessibility); {
		case strings.EqualFold(acc, accessible):
		case strings.EqualFold(acc, inaccessible):
			continue
		default:
			unknown.add("AssociatedResourceAccessibility", acc, id)
			continue
		}
		if as.PrivateDnsEntry == nil || aws.ToString(as.PrivateDnsEntry.DnsName) == "" {
			continue // no custom name: the default name is public
		}
		name, wild1, ok1 := canonicalString(aws.ToString(as.PrivateDnsEntry.DnsName))
		var target string
		var wild2, ok2 bool
		if as.DnsEntry != nil {
			target, wild2, ok2 = canonicalString(aws.ToString(as.DnsEntry.DnsName))
		}
		if !ok1 || !ok2 || wild1 || wild2 || name == target {
			report.skipped = append(report.skipped, fmt.Sprintf("%s: custom name %q with default name %q is not servable", id,
				aws.ToString(as.PrivateDnsEntry.DnsName), aws.ToString(dnsEntryName(as.DnsEntry))))
			continue
		}
		c := offer[customClaim]{vpc: ep.VPC, id: id, data: customClaim{ep: ep, target: target, region: latticeRegion(ep)}}
		c.data.typ, _ = latticeType(ep.Type)
		c.prec = precedence{len(opts.vpcs), ep.Dated, ep.Created, id}
		if i := slices.Index(opts.vpcs, c.vpc); i >= 0 {
			c.prec.rank = i
		}
		if _, ok := claims[name]; !ok {
			names = append(names, name)
		}
		claims[name] = append(claims[name], c)
	}
	if len(claims) == 0 {
		return nil
	}
	t := &customTable{names: make(map[string]*customName, len(claims)), authoritative: opts.authoritative, stats: map[string]*regionStats{}}
	served := map[*inventory.Endpoint]bool{}
	serve := func(c customClaim) {
		if !served[c.ep] {
			served[c.ep] = true
			t.region(c.region).endpoints[c.typ]++
		}
	}
	for _, name := range names {
		s := settle(name, claims[name])
		lines := s.lines
		if s.shared {
			report.shared = append(report.shared, lines[0])
			lines = lines[1:]
		}
		report.conflicts = append(report.conflicts, lines...)
		cn := &customName{target: s.def.data.target, zone: name}
		for _, o := range s.perVPC {
			cn.perVPC = append(cn.perVPC, vpcTarget{vpc: o.vpc, target: o.data.target})
			serve(o.data)
		}
		t.names[name] = cn
		t.region(s.def.data.region).names[kindResource]++
		serve(s.def.data)
	}
	return t
}

// canonicalString is canonicalName as a string: custom names are few, kept in a map.
func canonicalString(raw string) (string, bool, bool) {
	var buf [nameBuf]byte
	name, wildcard, ok := canonicalName(buf[:0], raw)
	return string(name), wildcard, ok
}

// latticeType is the type label of a Resource or ServiceNetwork endpoint (compared ignoring
// case); false for other types.
func latticeType(t string) (endpointType, bool) {
	switch {
	case strings.EqualFold(t, string(types.VpcEndpointTypeResource)):
		return typeResource, true
	case strings.EqualFold(t, string(types.VpcEndpointTypeServiceNetwork)):
		return typeServiceNetwork, true
	}
	return 0, false
}

// servesCustomNames reports whether the associations of ep, a Resource or ServiceNetwork
// endpoint, may serve: it is available, with private DNS, in a served VPC, and without an
// enum value the plugin does not know (the index builder reported that).
func servesCustomNames(ep *inventory.Endpoint, opts buildOptions) bool {
	if field, _ := unknownEnum(ep); field != "" {
		return false
	}
	return strings.EqualFold(ep.State, string(types.StateAvailable)) && ep.PrivateDNS &&
		(len(opts.vpcs) == 0 || slices.Contains(opts.vpcs, ep.VPC))
}

func dnsEntryName(e *types.DnsEntry) *string {
	if e == nil {
		return nil
	}
	return e.DnsName
}

func (t *customTable) region(r string) *regionStats {
	rs, ok := t.stats[r]
	if !ok {
		rs = &regionStats{}
		t.stats[r] = rs
	}
	return rs
}

// count adds the table's names and endpoints to an index's statistics.
func (t *customTable) count(s *indexStats) {
	for r, cs := range t.stats {
		rs := s.region(r)
		for k := range numKinds {
			rs.names[k] += cs.names[k]
			s.names[k] += cs.names[k]
		}
		for typ := range numEndpointTypes {
			rs.endpoints[typ] += cs.endpoints[typ]
			s.endpoints += cs.endpoints[typ]
		}
	}
}

// latticeRegion is the region of a Resource or ServiceNetwork endpoint, for metrics: the
// region of its resource configuration's or service network's ARN, else "other".
func latticeRegion(ep *inventory.Endpoint) string {
	arn := ep.ResourceConfigurationARN
	if arn == "" {
		arn = ep.ServiceNetworkARN
	}
	if parts := strings.SplitN(arn, ":", 5); len(parts) == 5 && regionPattern.MatchString(parts[3]) {
		return parts[3]
	}
	return "other"
}

// serveCustom answers name, a lower-case FQDN, if it is a custom name of ix, or, with
// authoritative, below one and served by nothing else (NXDOMAIN, as the private hosted zone
// answers). It reports whether it answered.
func (v *VPCE) serveCustom(ctx context.Context, qc *queryCounters, ix *index, w dns.ResponseWriter, r *dns.Msg, name []byte) (bool, int, error) {
	t := ix.custom
	if c, ok := t.names[string(name)]; ok {
		target, scope := c.target, uint8(0)
		if len(c.perVPC) > 0 && ix.clients != nil {
			pl, known, s := v.locate(ix, w, subnetOption(r.IsEdns0()), true)
			if known {
				target = c.targetFor(pl.vpc)
			}
			scope = s
		}
		rc, err := v.answerCustom(ctx, qc, ix.ttl, target, scope, w, r)
		return true, rc, err
	}
	if !t.authoritative {
		return false, 0, nil
	}
	for parent, ok := parentOf(name); ok; parent, ok = parentOf(parent) {
		c, ok := t.names[string(parent)]
		if !ok {
			continue
		}
		if _, _, res := ix.lookup(name); res != resultMiss {
			return false, 0, nil // an interface endpoint's name, or its zone's
		}
		p := newReply(r, dns.RcodeNameError)
		p.setSOA(c.zone, ix.ttl)
		v.writeCustom(p, w, r, 0)
		qc.answers[kindResource][resultNXDomain].Inc()
		return true, dns.RcodeNameError, nil
	}
	return false, 0, nil
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
	qc.answers[kindResource][resultAnswer].Inc()
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
