package index

import (
	"fmt"
	"slices"
	"strings"

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
	return slices.ContainsFunc(inventory.ServedTypes, func(s string) bool { return strings.EqualFold(t, s) })
}

// EndpointType is the type label of the endpoints gauge.
type EndpointType uint8

const (
	TypeInterface EndpointType = iota
	TypeResource
	TypeServiceNetwork
	NumEndpointTypes
)

func (t EndpointType) String() string {
	return [...]string{"Interface", "Resource", "ServiceNetwork"}[t]
}

// Association accessibility values; any other is left out with a warning, as an unknown enum.
const (
	accessible   = "Accessible"
	inaccessible = "Inaccessible"
)

// CustomName is a custom name of an association: it answers with a CNAME to target.
type CustomName struct {
	target string // the association's default name, a lower-case FQDN
	zone   string // the private hosted zone AWS names after the custom name: the name itself
	// perVPC are the other VPCs' own associations for a name offered in several VPCs: each
	// VPC's clients get theirs.
	perVPC []vpcTarget
}

// vpcTarget is the default name a VPC's clients get for a custom name.
type vpcTarget struct{ vpc, target string }

// Target is the default name the client (nil when unplaced) gets a CNAME to.
func (c *CustomName) Target(client *Place) string {
	if client == nil {
		return c.target
	}
	return c.targetFor(client.vpc)
}

// Shared reports whether the name is offered in several VPCs: its target depends on the client.
func (c *CustomName) Shared() bool { return len(c.perVPC) > 0 }

// HasCustom reports whether the index holds custom names.
func (ix *Index) HasCustom() bool { return ix.custom != nil }

// Custom returns the custom name name, a lower-case FQDN.
func (ix *Index) Custom(name []byte) (*CustomName, bool) {
	if ix.custom == nil {
		return nil, false
	}
	c, ok := ix.custom.names[string(name)]
	return c, ok
}

// UnderCustom returns the zone of the custom name above name when the index is authoritative
// and nothing else serves name: its private hosted zone answers NXDOMAIN.
func (ix *Index) UnderCustom(name []byte) (zone string, ok bool) {
	if ix.custom == nil || !ix.custom.authoritative {
		return "", false
	}
	for parent, ok := parentOf(name); ok; parent, ok = parentOf(parent) {
		c, ok := ix.custom.names[string(parent)]
		if !ok {
			continue
		}
		if _, _, res := ix.Lookup(name); res != Miss {
			return "", false // an interface endpoint's name, or its zone's
		}
		return c.zone, true
	}
	return "", false
}

// targetFor is the default name a client in vpc gets.
func (c *CustomName) targetFor(vpc string) string {
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
	names         map[string]*CustomName
	authoritative bool  // NXDOMAIN below a custom name, as its private hosted zone answers
	stats         Stats // by region only: count adds them to the index's
}

// customClaim is one association's offer of a custom name, while the table is built.
type customClaim struct {
	ep     *inventory.Endpoint
	target string
	region string
	typ    EndpointType
}

// buildCustomNames collects the custom names of the available Resource and ServiceNetwork
// endpoints with private DNS, from their Accessible associations. An association whose
// AssociatedResourceAccessibility the plugin does not know is left out and noted in unknown;
// names that cannot be served, and names two associations offer, go to report. It returns
// nil when there is nothing to serve.
func buildCustomNames(inv *inventory.Compact, opts Options, unknown *unknownEnums, report *Report) *customTable {
	if opts.PrivateDNS == PrivateDNSOff || len(inv.Associations) == 0 {
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
		if assocSeen[as.ID] {
			continue
		}
		assocSeen[as.ID] = true
		ep, ok := eps[strings.ToLower(as.EndpointID)]
		if !ok {
			continue
		}
		switch {
		case strings.EqualFold(as.Accessibility, accessible):
		case strings.EqualFold(as.Accessibility, inaccessible):
			continue
		default:
			unknown.add("AssociatedResourceAccessibility", as.Accessibility, as.ID)
			continue
		}
		if as.PrivateDNSName == "" {
			continue // no custom name: the default name is public
		}
		name, wild1, ok1 := canonicalString(as.PrivateDNSName)
		target, wild2, ok2 := canonicalString(as.DNSName)
		if !ok1 || !ok2 || wild1 || wild2 || name == target {
			report.Skipped = append(report.Skipped, fmt.Sprintf("%s: custom name %q with default name %q is not servable",
				as.ID, as.PrivateDNSName, as.DNSName))
			continue
		}
		c := offer[customClaim]{vpc: ep.VPC, id: as.ID, data: customClaim{ep: ep, target: target, region: latticeRegion(ep)}}
		c.data.typ, _ = latticeType(ep.Type)
		c.prec = precedence{len(opts.VPCs), ep.Dated, ep.Created, as.ID}
		if i := slices.Index(opts.VPCs, c.vpc); i >= 0 {
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
	t := &customTable{names: make(map[string]*CustomName, len(claims)), authoritative: opts.Authoritative, stats: newStats()}
	served := map[*inventory.Endpoint]bool{}
	serve := func(c customClaim) {
		if !served[c.ep] {
			served[c.ep] = true
			t.stats.region(c.region).Endpoints[c.typ]++
		}
	}
	for _, name := range names {
		s := settle(name, claims[name], nil)
		if s.shared != "" {
			report.Shared = append(report.Shared, s.shared)
		}
		report.Conflicts = append(report.Conflicts, s.conflicts...)
		cn := &CustomName{target: s.def.data.target, zone: name}
		for _, o := range s.perVPC {
			cn.perVPC = append(cn.perVPC, vpcTarget{vpc: strings.Clone(o.vpc), target: o.data.target})
			serve(o.data)
		}
		t.names[name] = cn
		t.stats.region(s.def.data.region).Names[Resource]++
		serve(s.def.data)
	}
	return t
}

// canonicalString is canonicalName as a string: custom names are few, kept in a map.
func canonicalString(raw string) (string, bool, bool) {
	var buf [NameBuf]byte
	name, wildcard, ok := canonicalName(buf[:0], raw)
	return string(name), wildcard, ok
}

// latticeType is the type label of a Resource or ServiceNetwork endpoint (compared ignoring
// case); false for other types.
func latticeType(t string) (EndpointType, bool) {
	switch {
	case strings.EqualFold(t, inventory.ResourceEndpoint):
		return TypeResource, true
	case strings.EqualFold(t, inventory.ServiceNetworkEndpoint):
		return TypeServiceNetwork, true
	}
	return 0, false
}

// servesCustomNames reports whether the associations of ep, a Resource or ServiceNetwork
// endpoint, may serve: it is available, with private DNS, in a served VPC, and without an
// enum value the plugin does not know (the index builder reported that).
func servesCustomNames(ep *inventory.Endpoint, opts Options) bool {
	if field, _ := unknownEnum(ep); field != "" {
		return false
	}
	return strings.EqualFold(ep.State, inventory.StateAvailable) && ep.PrivateDNS &&
		(len(opts.VPCs) == 0 || slices.Contains(opts.VPCs, ep.VPC))
}

// count adds the table's names and endpoints to an index's statistics.
func (t *customTable) count(s *Stats) {
	for r, cs := range t.stats.Regions {
		rs := s.region(r)
		for k := range NumKinds {
			rs.Names[k] += cs.Names[k]
			s.Names[k] += cs.Names[k]
		}
		for typ := range NumEndpointTypes {
			rs.Endpoints[typ] += cs.Endpoints[typ]
			s.Endpoints += cs.Endpoints[typ]
		}
	}
}
