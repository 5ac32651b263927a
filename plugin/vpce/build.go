package vpce

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/miekg/dns"
)

// buildOptions are the parts of the configuration that shape an index.
type buildOptions struct {
	ttl           uint32
	authoritative bool
	vpcs          []string // if set, only these VPCs, in priority order for a shared private name
	privateDNS    privateDNSMode
	affinity      affinity
	azRanges      []azRange // the zone option: client ranges outside the VPCs (on premises, VPN) by AZ
}

// privateDNSMode is the private_dns option: which endpoints' private names are served.
type privateDNSMode uint8

const (
	privateDNSEnabled privateDNSMode = iota // endpoints with PrivateDnsEnabled, as AWS does
	privateDNSAll                           // also hub endpoints with it disabled, from ServiceDetails
	privateDNSOff                           // regional and zonal names only
)

// affinity is the affinity option: how a client's AZ orders the answer.
type affinity uint8

const (
	affinityNone   affinity = iota
	affinityPrefer          // the client's AZ first, the rest after
	affinityOnly            // the client's AZ only (all of them when it has none)
)

// azRange is a zone line of the Corefile: client ranges in an AZ (an AZ name or ID).
type azRange struct {
	az       string
	prefixes []netip.Prefix
}

// buildReport lists what a build left out or had to decide, for one log line each per build.
type buildReport struct {
	conflicts []string
	skipped   []string
}

// The SOA of Route 53's private hosted zones, with the negative TTL set to the plugin's TTL
// so that a name that appears is answered within one TTL.
const (
	soaNs   = "ns-1536.awsdns-00.co.uk."
	soaMbox = "awsdns-hostmaster.amazon.com."
)

// endpoint is an available interface endpoint with its interfaces resolved.
type endpoint struct {
	ep         *types.VpcEndpoint
	id         string
	interfaces []*eni
	ipType     types.DnsRecordIpType
	rank       int // position of its VPC in the priority list
	region     string
}

// eni is an endpoint network interface's AZ and parsed addresses.
type eni struct {
	az     azKey
	v4, v6 []net.IP
}

// claim is one endpoint's offer of records for a name.
type claim struct {
	owner *endpoint
	rs    *rrset
}

// buildIndex turns an inventory into the serving index. It never fails: what cannot be
// served (a bad name, an unknown interface) is left out and reported.
func buildIndex(inv *inventory.Inventory, opts buildOptions) (*index, buildReport) {
	b := builder{
		opts:     opts,
		enis:     parseInterfaces(inv.NetworkInterfaces),
		services: servicePrivateNames(inv.ServiceDetails),
		exact:    map[string]claim{},
		wild:     map[string]claim{},
		soas:     map[string]*dns.SOA{},
		served:   map[string]*endpoint{},
		ids:      map[string]bool{},
	}
	for i := range inv.VpcEndpoints {
		b.addEndpoint(&inv.VpcEndpoints[i])
	}
	custom := buildCustomNames(inv, opts, &b.unknown, &b.report) // resource.go
	b.report.skipped = append(b.report.skipped, b.unknown.lines()...)
	ix := &index{
		exact:    make(map[string]*rrset, len(b.exact)),
		wild:     make(map[string]*rrset, len(b.wild)),
		ttl:      opts.ttl,
		affinity: opts.affinity,
		clients:  buildClients(inv, opts.azRanges),
	}
	ix.stats = newIndexStats()
	for name, c := range b.exact {
		ix.exact[name] = c.rs
		ix.stats.countName(c)
	}
	for name, c := range b.wild {
		ix.wild[name] = c.rs
		ix.stats.countName(c)
	}
	for _, e := range b.served {
		ix.stats.countEndpoint(e)
	}
	if custom != nil { // resource.go
		ix.custom = custom
		custom.count(&ix.stats)
	}
	if opts.authoritative && len(b.apexes) > 0 {
		ix.apexes = b.apexes
	}
	ix.stats.conflicts = len(b.report.conflicts)
	slices.Sort(b.report.conflicts)
	return ix, b.report
}

// endpointRegion is the region an endpoint serves, for metrics: ServiceRegion, or the region
// in its service name (com.amazonaws.<region>.<service>, com.amazonaws.vpce.<region>.vpce-svc-...).
// Anything that does not look like a region counts as "other", so the label stays bounded.
func endpointRegion(ep *types.VpcEndpoint) string {
	region := aws.ToString(ep.ServiceRegion)
	if region == "" {
		parts := strings.Split(aws.ToString(ep.ServiceName), ".")
		if len(parts) > 3 && parts[2] == "vpce" {
			parts = parts[1:]
		}
		if len(parts) > 2 {
			region = parts[2]
		}
	}
	if !regionPattern.MatchString(region) {
		return "other"
	}
	return region
}

// regionPattern matches AWS region names: us-east-1, ap-northeast-1, us-gov-west-1, eusc-de-east-1.
var regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)

type builder struct {
	opts     buildOptions
	enis     map[string]*eni
	services map[string][]string // service name -> private DNS names
	exact    map[string]claim
	wild     map[string]claim
	soas     map[string]*dns.SOA  // by zone apex, shared by the names of a zone
	apexes   map[string]*dns.SOA  // private zone apexes
	served   map[string]*endpoint // by id: the endpoints that own at least one name
	ids      map[string]bool      // endpoint ids seen
	unknown  unknownEnums
	report   buildReport
}

// buildClients maps client ranges to places: the subnets' CIDRs, IPv4 and IPv6, then the
// zone lines over them. A zone line may name an AZ or an AZ ID; a name is given the ID the
// inventory's subnets and interfaces know it by, so that it matches across accounts.
func buildClients(inv *inventory.Inventory, ranges []azRange) *clientTable {
	t := &clientTable{}
	ids := map[string]string{} // AZ name -> ID
	for _, sn := range inv.Subnets {
		pl := place{vpc: aws.ToString(sn.VpcId), az: azKey{name: strings.ToLower(aws.ToString(sn.AvailabilityZone)), id: strings.ToLower(aws.ToString(sn.AvailabilityZoneId))}}
		if pl.az.id != "" {
			ids[pl.az.name] = pl.az.id
		}
		if p, err := netip.ParsePrefix(aws.ToString(sn.CidrBlock)); err == nil {
			t.add(p, pl)
		}
		for _, a := range sn.Ipv6CidrBlockAssociationSet {
			if p, err := netip.ParsePrefix(aws.ToString(a.Ipv6CidrBlock)); err == nil {
				t.add(p, pl)
			}
		}
	}
	for _, ni := range inv.NetworkInterfaces {
		// The subnets' naming first: interfaces of other accounts may name AZs differently.
		name, id := strings.ToLower(aws.ToString(ni.AvailabilityZone)), strings.ToLower(aws.ToString(ni.AvailabilityZoneId))
		if _, known := ids[name]; !known && id != "" {
			ids[name] = id
		}
	}
	for _, r := range ranges {
		az := azKey{name: r.az}
		if azIDPattern.MatchString(r.az) {
			az = azKey{id: r.az}
		} else {
			az.id = ids[r.az]
		}
		for _, p := range r.prefixes {
			t.add(p, place{az: az})
		}
	}
	if len(t.prefixes) == 0 {
		return nil
	}
	return t
}

// hostChars are the bytes of a plain host name label, lower case.
var hostChars = func() (t [256]bool) {
	for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

func hostLabel(label string) bool {
	for i := 0; i < len(label); i++ {
		if !hostChars[label[i]] {
			return false
		}
	}
	return true
}

// azIDPattern matches AZ IDs: use1-az4, apne1-az1, usw2-lax1-az1.
var azIDPattern = regexp.MustCompile(`^[a-z]{2,5}[0-9]+(-[a-z]+[0-9]+)?-az[0-9]+$`)

func parseInterfaces(nis []types.NetworkInterface) map[string]*eni {
	enis := make(map[string]*eni, len(nis))
	for i := range nis {
		ni := &nis[i]
		e := &eni{az: azKey{name: strings.ToLower(aws.ToString(ni.AvailabilityZone)), id: strings.ToLower(aws.ToString(ni.AvailabilityZoneId))}}
		e.v4 = appendIP(e.v4, ni.PrivateIpAddress, false)
		for _, p := range ni.PrivateIpAddresses {
			e.v4 = appendIP(e.v4, p.PrivateIpAddress, false)
		}
		e.v6 = appendIP(e.v6, ni.Ipv6Address, true)
		for _, p := range ni.Ipv6Addresses {
			e.v6 = appendIP(e.v6, p.Ipv6Address, true)
		}
		// The first of duplicates wins: fresh sources come before the cache file's inventory.
		if id := aws.ToString(ni.NetworkInterfaceId); id != "" && enis[id] == nil {
			enis[id] = e
		}
	}
	return enis
}

// appendIP appends the address s if it parses as the wanted family and is not there yet.
func appendIP(ips []net.IP, s *string, v6 bool) []net.IP {
	ip := net.ParseIP(aws.ToString(s))
	if ip == nil {
		return ips
	}
	if v4 := ip.To4(); v4 != nil {
		if v6 {
			return ips
		}
		ip = v4
	} else if !v6 {
		return ips
	}
	for _, have := range ips {
		if have.Equal(ip) {
			return ips
		}
	}
	return append(ips, ip)
}

func (b *builder) addEndpoint(ep *types.VpcEndpoint) {
	id := strings.ToLower(aws.ToString(ep.VpcEndpointId))
	if id == "" || b.ids[id] {
		return
	}
	if field, value := unknownEnum(ep); field != "" {
		// Left out; its id counts as seen, so that an older copy (the cache file's) does
		// not serve in its place.
		b.ids[id] = true
		b.unknown.add(field, value, id)
		return
	}
	if !strings.EqualFold(string(ep.VpcEndpointType), string(types.VpcEndpointTypeInterface)) ||
		!strings.EqualFold(string(ep.State), string(types.StateAvailable)) {
		return
	}
	b.ids[id] = true // the first of duplicates wins, as for interfaces
	if len(b.opts.vpcs) > 0 && !slices.Contains(b.opts.vpcs, aws.ToString(ep.VpcId)) {
		return
	}
	e := &endpoint{ep: ep, id: id, ipType: recordIPType(ep), rank: len(b.opts.vpcs), region: endpointRegion(ep)}
	if i := slices.Index(b.opts.vpcs, aws.ToString(ep.VpcId)); i >= 0 {
		e.rank = i
	}
	for _, nid := range ep.NetworkInterfaceIds {
		if n, ok := b.enis[nid]; ok && !slices.Contains(e.interfaces, n) {
			e.interfaces = append(e.interfaces, n)
		}
	}
	privateDNS := aws.ToBool(ep.PrivateDnsEnabled) && b.opts.privateDNS != privateDNSOff
	names := dnsNames(ep)
	if !aws.ToBool(ep.PrivateDnsEnabled) && b.opts.privateDNS == privateDNSAll {
		// A hub endpoint: its private names are the service's, as DescribeVpcEndpointServices
		// gives them; they are not in its DnsEntries.
		names = append(names, b.services[aws.ToString(ep.ServiceName)]...)
		privateDNS = true
	}
	for _, raw := range names {
		name, wildcard, ok := canonicalName(raw)
		if !ok {
			b.report.skipped = append(b.report.skipped, fmt.Sprintf("%s: DNS name %q is not servable", id, raw))
			continue
		}
		kind, az := classify(name, id)
		if kind == kindPrivate && !privateDNS {
			continue
		}
		b.add(name, wildcard, e, e.records(kind, az), b.soa(name, kind))
	}
}

// unknownEnum names the first enum field of ep, in the order that decides whether it is served,
// whose value the SDK does not list (compared ignoring case), and that value; "" if there is
// none. A field is only looked at if the ones before it let the endpoint be served: a
// Gateway endpoint, or one being deleted, is left out in silence whatever the rest holds.
func unknownEnum(ep *types.VpcEndpoint) (field, value string) {
	switch {
	case !inventory.KnownEnum(ep.VpcEndpointType, types.VpcEndpointType("").Values()):
		return "VpcEndpointType", string(ep.VpcEndpointType)
	case !servedType(ep.VpcEndpointType):
		return "", ""
	case !inventory.KnownEnum(ep.State, types.State("").Values()):
		return "State", string(ep.State)
	case !strings.EqualFold(string(ep.State), string(types.StateAvailable)):
		return "", ""
	case ep.IpAddressType != "" && !inventory.KnownEnum(ep.IpAddressType, types.IpAddressType("").Values()):
		return "IpAddressType", string(ep.IpAddressType)
	case ep.DnsOptions != nil && ep.DnsOptions.DnsRecordIpType != "" &&
		!inventory.KnownEnum(ep.DnsOptions.DnsRecordIpType, types.DnsRecordIpType("").Values()):
		return "DnsOptions.DnsRecordIpType", string(ep.DnsOptions.DnsRecordIpType)
	}
	return "", ""
}

// unknownEnums collects the endpoints left out for an enum value the SDK does not list, by
// field and value, so that a build reports each distinct value once, naming the first
// endpoint that had it.
type unknownEnums struct {
	order []enumValue
	seen  map[enumValue]*unknownNote
}

type enumValue struct{ field, value string }

type unknownNote struct {
	first string // endpoint id
	more  int
}

// maxEnumValue bounds a value as a log line quotes it.
const maxEnumValue = 64

func (u *unknownEnums) add(field, value, id string) {
	k := enumValue{field, value}
	if n, ok := u.seen[k]; ok {
		n.more++
		return
	}
	if u.seen == nil {
		u.seen = map[enumValue]*unknownNote{}
	}
	u.seen[k] = &unknownNote{first: id}
	u.order = append(u.order, k)
}

// lines are the report's lines, in the order the values were first met:
// `vpce-0abc: unknown VpcEndpointType "FutureType"`, `vpce-0abc and 2 more: State missing`.
func (u *unknownEnums) lines() []string {
	lines := make([]string, 0, len(u.order))
	for _, k := range u.order {
		n := u.seen[k]
		who := n.first
		if n.more > 0 {
			who = fmt.Sprintf("%s and %d more", n.first, n.more)
		}
		v := k.value
		switch {
		case v == "":
			lines = append(lines, fmt.Sprintf("%s: %s missing", who, k.field))
			continue
		case len(v) > maxEnumValue:
			v = v[:maxEnumValue] + "..."
		}
		lines = append(lines, fmt.Sprintf("%s: unknown %s %q", who, k.field, v))
	}
	return lines
}

func dnsNames(ep *types.VpcEndpoint) []string {
	names := make([]string, 0, len(ep.DnsEntries))
	for _, entry := range ep.DnsEntries {
		names = append(names, aws.ToString(entry.DnsName))
	}
	return names
}

// servicePrivateNames maps service names to the private DNS names their endpoints may serve:
// PrivateDnsNames (or PrivateDnsName), for services of other owners only once the owner has
// verified the domain, as AWS requires before it serves them.
func servicePrivateNames(sds []types.ServiceDetail) map[string][]string {
	m := map[string][]string{}
	for _, sd := range sds {
		if aws.ToString(sd.Owner) != "amazon" && !strings.EqualFold(string(sd.PrivateDnsNameVerificationState), string(types.DnsNameStateVerified)) {
			continue
		}
		var names []string
		for _, d := range sd.PrivateDnsNames {
			names = append(names, aws.ToString(d.PrivateDnsName))
		}
		if len(names) == 0 && sd.PrivateDnsName != nil {
			names = append(names, *sd.PrivateDnsName)
		}
		m[aws.ToString(sd.ServiceName)] = names
	}
	return m
}

// recordIPType is the endpoint's DnsRecordIpType, defaulting to its IpAddressType.
func recordIPType(ep *types.VpcEndpoint) types.DnsRecordIpType {
	t := string(ep.IpAddressType)
	if ep.DnsOptions != nil && ep.DnsOptions.DnsRecordIpType != "" {
		t = string(ep.DnsOptions.DnsRecordIpType)
	}
	return types.DnsRecordIpType(strings.ToLower(t))
}

// records collects the addresses a name of this kind answers with. Record types follow
// DnsRecordIpType: ipv4 A, ipv6 AAAA, dualstack both, service-defined A everywhere and AAAA
// for the regional and zonal names only.
func (e *endpoint) records(kind nameKind, az string) *rrset {
	wantA, wantAAAA := true, false
	switch e.ipType {
	case types.DnsRecordIpTypeIpv6:
		wantA, wantAAAA = false, true
	case types.DnsRecordIpTypeDualstack:
		wantAAAA = true
	case types.DnsRecordIpTypeServiceDefined:
		wantAAAA = kind != kindPrivate
	}
	rs := &rrset{kind: kind}
	for _, n := range e.interfaces {
		if kind == kindZonal && n.az.name != az {
			continue
		}
		for _, ip := range n.v4 {
			if wantA {
				rs.a.add(ip, n.az)
			}
		}
		for _, ip := range n.v6 {
			if wantAAAA {
				rs.aaaa.add(ip, n.az)
			}
		}
	}
	if kind == kindPrivate && e.ep.DnsOptions != nil && aws.ToBool(e.ep.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint) {
		rs.inboundOnlyVPC = aws.ToString(e.ep.VpcId)
	}
	return rs
}

// add records e's claim on name; where endpoints collide, the better-ranked one keeps it.
func (b *builder) add(name string, wildcard bool, e *endpoint, rs *rrset, soa *dns.SOA) {
	if len(rs.a.ips) == 0 && len(rs.aaaa.ips) == 0 {
		// No interface listed (yet, or any more: an endpoint created or deleted between the
		// two Describe calls): the next plugin's answer beats an empty one.
		return
	}
	rs.soa = soa
	names := b.exact
	if wildcard {
		names = b.wild
	}
	if rs.kind == kindPrivate {
		if b.apexes == nil {
			b.apexes = map[string]*dns.SOA{}
		}
		b.apexes[name] = soa
	}
	prev, taken := names[name]
	switch {
	case !taken:
	case prev.owner == e:
		return // the same name listed twice by one endpoint
	case better(e, prev.owner):
		b.report.conflicts = append(b.report.conflicts, conflict(name, wildcard, e, prev.owner))
	default:
		b.report.conflicts = append(b.report.conflicts, conflict(name, wildcard, prev.owner, e))
		return
	}
	names[name] = claim{owner: e, rs: rs}
	b.served[e.id] = e
}

// better reports whether a should serve a name that b offers too: VPC priority first, then
// the oldest endpoint, then the smallest id, so that the choice is the same on every build.
func better(a, b *endpoint) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	ta, tb := a.ep.CreationTimestamp, b.ep.CreationTimestamp
	switch {
	case ta != nil && tb != nil && !ta.Equal(*tb):
		return ta.Before(*tb)
	case ta != nil && tb == nil:
		return true
	case ta == nil && tb != nil:
		return false
	}
	return a.id < b.id
}

func conflict(name string, wildcard bool, winner, loser *endpoint) string {
	if wildcard {
		name = "*." + name
	}
	return fmt.Sprintf("%s offered by %s (%s) and %s (%s): serving %s", name,
		winner.id, aws.ToString(winner.ep.VpcId), loser.id, aws.ToString(loser.ep.VpcId), winner.id)
}

// soa returns the shared SOA of the zone that name is in: a private name is its own zone
// apex (the managed private hosted zone is named after it); regional and zonal names live in
// <region>.vpce.amazonaws.com.
func (b *builder) soa(name string, kind nameKind) *dns.SOA {
	zone := name
	if kind != kindPrivate {
		zone = vpceZone(name)
	}
	if soa, ok := b.soas[zone]; ok {
		return soa
	}
	soa := &dns.SOA{
		Hdr:     dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: b.opts.ttl},
		Ns:      soaNs,
		Mbox:    soaMbox,
		Serial:  1,
		Refresh: 7200,
		Retry:   900,
		Expire:  1209600,
		Minttl:  b.opts.ttl,
	}
	b.soas[zone] = soa
	return soa
}

// vpceZone returns the <region>.vpce.amazonaws.com zone of a regional or zonal name: the
// labels after the endpoint label and the service id, which may itself have several labels.
func vpceZone(name string) string {
	if i := strings.Index(name, ".vpce.amazonaws."); i >= 0 {
		if j := strings.LastIndexByte(name[:i], '.'); j >= 0 {
			return name[j+1:]
		}
	}
	_, parent, _ := strings.Cut(name, ".")
	return parent
}

// classify tells an endpoint's names apart: vpce-<id>-<rand> is regional,
// vpce-<id>-<rand>-<az> zonal, anything not led by the endpoint id a private name.
func classify(name, id string) (nameKind, string) {
	label, _, _ := strings.Cut(name, ".")
	rest, ok := strings.CutPrefix(label, id+"-")
	if !ok {
		return kindPrivate, ""
	}
	if _, az, zonal := strings.Cut(rest, "-"); zonal {
		return kindZonal, az
	}
	return kindRegional, ""
}

// canonicalName lower-cases a DnsEntries name into an FQDN and splits off a leading "*.".
// Only plain host names are served: letters, digits, '-', '_' and a whole-label leading
// wildcard, within DNS's length limits. A wildcard needs two labels below it, so that no
// entry can capture a whole top-level domain.
func canonicalName(raw string) (name string, wildcard bool, ok bool) {
	name = dns.Fqdn(strings.ToLower(raw))
	if rest, cut := strings.CutPrefix(name, "*."); cut {
		name, wildcard = rest, true
	}
	// 255 bytes on the wire: an FQDN of 254 characters, 252 below a "*.".
	if name == "." || len(name) > 254 || wildcard && len(name) > 252 {
		return "", false, false
	}
	labels := 0
	for label := range strings.SplitSeq(strings.TrimSuffix(name, "."), ".") {
		if label == "" || len(label) > 63 || !hostLabel(label) {
			return "", false, false
		}
		labels++
	}
	if wildcard && labels < 2 {
		return "", false, false
	}
	return name, wildcard, true
}
