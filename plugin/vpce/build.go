package vpce

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// buildOptions are the parts of the configuration that shape an index.
type buildOptions struct {
	ttl           uint32
	authoritative bool
	vpcs          []string // if set, only these VPCs, in priority order for a shared private name
	privateDNS    privateDNSMode
	affinity      affinity
	azRanges      []azRange  // the zone option: client ranges outside the VPCs (on premises, VPN) by AZ
	vpcRanges     []vpcRange // the client_vpc option: client ranges the subnets do not cover, by VPC
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

// vpcRange is a client_vpc line of the Corefile: client ranges whose answers are their VPC's.
type vpcRange struct {
	vpc      string
	prefixes []netip.Prefix
}

// buildReport lists what a build left out or had to decide, for one log line each per build.
type buildReport struct {
	shared    []string // names offered in several VPCs, each VPC's clients served by its own
	conflicts []string // names offered twice in one VPC, where one offer never serves
	skipped   []string
}

// buildIndex turns an inventory into the serving index. It never fails: what cannot be
// served (a bad name, an unknown interface) is left out and reported. It allocates per table,
// not per name: the tables grow by appending, names are assembled in one buffer.
func buildIndex(inv *inventory.Compact, opts buildOptions) (*index, buildReport) {
	b := newBuilder(inv, opts)
	for i := range inv.Endpoints {
		b.addEndpoint(&inv.Endpoints[i])
	}
	custom := buildCustomNames(inv, opts, &b.unknown, &b.report) // resource.go
	ix, report := b.finish(inv)
	if custom != nil { // resource.go
		ix.custom = custom
		custom.count(&ix.stats)
	}
	return ix, report
}

// builder assembles an index. Its ix grows while endpoints are added; finish trims it.
type builder struct {
	opts       buildOptions
	ix         *index
	names      strings.Builder // ix.names as it grows
	suffixes   map[string]uint32
	lastSuffix uint32 // the suffix last asked for
	azs        map[azKey]uint16
	lastAZ     uint16 // the AZ last asked for
	lastZone   uint32 // the zone node last asked for + 1
	vpcs       map[string]uint32
	enis       map[string]int32 // interface id -> position in ifaces
	ifaces     []iface
	ifaceV4    [][4]byte
	ifaceV6    [][16]byte
	services   map[string][]string // service name -> private DNS names
	ids        map[string]struct{} // endpoint ids seen
	regions    map[string]string   // what endpointRegion made of a region or service name
	eps        []endpoint          // the endpoints that may serve, by ordinal
	owners     []int32             // the endpoint (in eps) whose records each rrset is
	scratch    endpointScratch
	unknown    unknownEnums
	report     buildReport
	offers     map[uint32]*offers // by rrset: the names more than one endpoint offers (offers.go)
}

// endpoint is what the builder keeps of an endpoint that may serve: enough to settle a
// conflict, to name it in the report and to count it.
type endpoint struct {
	ep     *inventory.Endpoint
	id     string
	rank   int // position of its VPC in the priority list
	region string
}

// iface is an endpoint network interface: its AZ and its addresses in the builder's ifaceV4
// and ifaceV6.
type iface struct {
	az       uint16
	v4, v6   uint32
	nV4, nV6 uint16
}

// endpointScratch is reused from one endpoint to the next: its interfaces, where their
// addresses went in the index, and the name being looked at.
type endpointScratch struct {
	ifaces []int32
	placed []placedIface
	name   [nameBuf]byte
}

// placedIface is where one of an endpoint's interfaces' addresses are in the index.
type placedIface struct {
	az     uint16
	v4, v6 addrRun
}

func newBuilder(inv *inventory.Compact, opts buildOptions) *builder {
	// Room for every name, so that no table grows while it is filled: the counts are upper
	// bounds (finish trims), the zones a few more nodes.
	names, bytes := 16, 0
	for i := range inv.Endpoints {
		names += len(inv.Endpoints[i].DNSNames)
		for _, name := range inv.Endpoints[i].DNSNames {
			bytes += len(name) + 1
		}
	}
	b := &builder{
		opts:     opts,
		ix:       &index{ttl: opts.ttl, affinity: opts.affinity, seed: maphash.MakeSeed()},
		suffixes: map[string]uint32{"": 0},
		azs:      map[azKey]uint16{{}: 0},
		vpcs:     map[string]uint32{"": 0},
		services: servicePrivateNames(inv.Services),
		ids:      make(map[string]struct{}, len(inv.Endpoints)),
		regions:  map[string]string{},
		eps:      make([]endpoint, 0, len(inv.Endpoints)),
	}
	ix := b.ix
	ix.suffixes = []span{{}}
	ix.azs = []azKey{{}}
	ix.vpcs = []string{""}
	ix.nodes = make([]node, 0, names)
	ix.rrsets = make([]rrset, 0, names)
	b.owners = make([]int32, 0, names)
	ix.slots = make([]uint32, slotsFor(names))
	b.names.Grow(bytes)
	b.parseInterfaces(inv.Interfaces)
	ix.v4, ix.v4az = make([][4]byte, 0, len(b.ifaceV4)), make([]uint16, 0, len(b.ifaceV4))
	ix.v6, ix.v6az = make([][16]byte, 0, len(b.ifaceV6)), make([]uint16, 0, len(b.ifaceV6))
	return b
}

// finish counts what the index serves and trims its tables to their size.
func (b *builder) finish(inv *inventory.Compact) (*index, buildReport) {
	b.report.skipped = append(b.report.skipped, b.unknown.lines()...)
	b.settleOffers()
	ix := b.ix
	ix.clients = buildClients(inv, b.opts.azRanges, b.opts.vpcRanges)
	ix.stats = newIndexStats()
	served := make([]bool, len(b.eps))
	count := func(set uint32) {
		if set != 0 {
			e := &b.eps[b.owners[set-1]]
			ix.stats.countName(ix.rrsets[set-1].kind, e.region)
			served[b.owners[set-1]] = true
		}
	}
	for i := range ix.nodes {
		count(ix.nodes[i].exact)
		count(ix.nodes[i].wild)
	}
	for _, a := range ix.alts {
		served[b.owners[a.set]] = true
	}
	for i, ok := range served {
		if ok {
			ix.stats.countEndpoint(b.eps[i].region)
		}
	}
	ix.stats.conflicts = len(b.report.conflicts)
	slices.Sort(b.report.conflicts)

	if names := b.names.String(); loose(len(names), b.names.Cap()) {
		ix.names = strings.Clone(names)
	}
	ix.nodes = trim(ix.nodes)
	ix.rrsets = trim(ix.rrsets)
	ix.v4, ix.v4az = trim(ix.v4), trim(ix.v4az)
	ix.v6, ix.v6az = trim(ix.v6), trim(ix.v6az)
	if size := slotsFor(len(ix.nodes)); size < len(ix.slots) {
		ix.rehash(size)
	}
	return ix, b.report
}

// trim copies s to a slice of its length if its spare capacity (the tables are sized for every
// name offered) is worth more than the copy.
func trim[S ~[]E, E any](s S) S {
	if loose(len(s), cap(s)) {
		return slices.Clone(s)
	}
	return s
}

func loose(n, capacity int) bool { return capacity-n > capacity/8 }

// endpointRegion is the region an endpoint serves, for metrics: ServiceRegion, or the region
// in its service name (com.amazonaws.<region>.<service>, com.amazonaws.vpce.<region>.vpce-svc-...).
// Anything that does not look like a region counts as "other", so the label stays bounded.
func (b *builder) endpointRegion(ep *inventory.Endpoint) string {
	region := ep.ServiceRegion
	if region == "" {
		region = serviceRegion(ep.Service)
	}
	r, ok := b.regions[region]
	if !ok {
		r = region
		if !regionPattern.MatchString(region) {
			r = "other"
		}
		b.regions[region] = r
	}
	return r
}

// serviceRegion is the third label of a service name, or the fourth after "vpce".
func serviceRegion(service string) string {
	_, rest, ok := strings.Cut(service, ".")
	if !ok {
		return ""
	}
	if _, rest, ok = strings.Cut(rest, "."); !ok {
		return ""
	}
	label, after, more := strings.Cut(rest, ".")
	if label == "vpce" && more {
		label, _, _ = strings.Cut(after, ".")
	}
	return label
}

// regionPattern matches AWS region names: us-east-1, ap-northeast-1, us-gov-west-1, eusc-de-east-1.
var regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)

// buildClients maps client ranges to places: the subnets' CIDRs, IPv4 and IPv6, then the
// zone and client_vpc lines over them. A zone line may name an AZ or an AZ ID; a name is given
// the ID the inventory's subnets and interfaces know it by, so that it matches across accounts.
func buildClients(inv *inventory.Compact, ranges []azRange, vpcRanges []vpcRange) *clientTable {
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
	for i := range inv.Interfaces {
		// The subnets' naming first: interfaces of other accounts may name AZs differently.
		name, id := strings.ToLower(inv.Interfaces[i].AZ), strings.ToLower(inv.Interfaces[i].AZID)
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
	for _, r := range vpcRanges {
		for _, p := range r.prefixes {
			t.add(p, place{vpc: r.vpc})
		}
	}
	if len(t.prefixes) == 0 {
		return nil
	}
	t.inherit()
	return t
}

// hostChars are the bytes of a plain host name label, lower case.
var hostChars = func() (t [256]bool) {
	for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// azIDPattern matches AZ IDs: use1-az4, apne1-az1, usw2-lax1-az1.
var azIDPattern = regexp.MustCompile(`^[a-z]{2,5}[0-9]+(-[a-z]+[0-9]+)?-az[0-9]+$`)

// parseInterfaces reads the interfaces' AZs and addresses into the builder's tables.
func (b *builder) parseInterfaces(nis []inventory.Interface) {
	b.enis = make(map[string]int32, len(nis))
	b.ifaces = make([]iface, 0, len(nis))
	b.ifaceV4 = make([][4]byte, 0, len(nis))
	// Backwards, so that the first of duplicates wins (fresh sources come before the cache
	// file's inventory) with one map operation an interface.
	for i := len(nis) - 1; i >= 0; i-- {
		ni := &nis[i]
		if ni.ID == "" {
			continue
		}
		n := iface{
			az: b.az(azKey{name: strings.ToLower(ni.AZ), id: strings.ToLower(ni.AZID)}),
			v4: uint32(len(b.ifaceV4)),
			v6: uint32(len(b.ifaceV6)),
		}
		b.addIP(&n, ni.PrivateIP, false)
		for _, ip := range ni.PrivateIPs {
			b.addIP(&n, ip, false)
		}
		b.addIP(&n, ni.IPv6, true)
		for _, ip := range ni.IPv6s {
			b.addIP(&n, ip, true)
		}
		b.enis[ni.ID] = int32(len(b.ifaces))
		b.ifaces = append(b.ifaces, n)
	}
}

// addIP adds the address s to interface n if it parses as the wanted family and is not
// there yet. An IPv4-mapped IPv6 address is IPv4; an address with a zone is none.
func (b *builder) addIP(n *iface, s string, v6 bool) {
	if s == "" {
		return // absent, as most Ipv6Address fields are: not worth a parse error
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return
	}
	ip = ip.Unmap()
	switch {
	case ip.Is4() && !v6:
		a := ip.As4()
		if !slices.Contains(b.ifaceV4[n.v4:n.v4+uint32(n.nV4)], a) {
			b.ifaceV4 = append(b.ifaceV4, a)
			n.nV4++
		}
	case ip.Is6() && v6:
		a := ip.As16()
		if !slices.Contains(b.ifaceV6[n.v6:n.v6+uint32(n.nV6)], a) {
			b.ifaceV6 = append(b.ifaceV6, a)
			n.nV6++
		}
	}
}

// az returns the position of an AZ in the index's table, adding it. Past 65,535 AZs (malformed
// input: AWS has a few hundred) an AZ is unknown.
func (b *builder) az(k azKey) uint16 {
	if b.ix.azs[b.lastAZ] == k {
		return b.lastAZ // interfaces come in runs of an AZ
	}
	i, ok := b.azs[k]
	b.lastAZ = i
	if !ok {
		if len(b.ix.azs) > math.MaxUint16 {
			return 0
		}
		i = uint16(len(b.ix.azs))
		b.azs[k] = i
		b.lastAZ = i
		b.ix.azs = append(b.ix.azs, k)
	}
	return i
}

// vpc returns the position of a VPC in the index's table, adding it.
func (b *builder) vpc(id string) uint32 {
	i, ok := b.vpcs[id]
	if !ok {
		i = uint32(len(b.ix.vpcs))
		b.vpcs[id] = i
		b.ix.vpcs = append(b.ix.vpcs, id)
	}
	return i
}

func (b *builder) addEndpoint(ep *inventory.Endpoint) {
	id := strings.ToLower(ep.ID)
	if _, seen := b.ids[id]; id == "" || seen {
		return
	}
	if field, value := unknownEnum(ep); field != "" {
		// Left out; its id counts as seen, so that an older copy (the cache file's) does
		// not serve in its place.
		b.ids[id] = struct{}{}
		b.unknown.add(field, value, id)
		return
	}
	if !strings.EqualFold(ep.Type, string(types.VpcEndpointTypeInterface)) ||
		!strings.EqualFold(ep.State, string(types.StateAvailable)) {
		return
	}
	b.ids[id] = struct{}{} // the first of duplicates wins, as for interfaces
	rank := len(b.opts.vpcs)
	if len(b.opts.vpcs) > 0 {
		if rank = slices.Index(b.opts.vpcs, ep.VPC); rank < 0 {
			return
		}
	}
	b.eps = append(b.eps, endpoint{ep: ep, id: id, rank: rank, region: b.endpointRegion(ep)})
	e := endpointNames{b: b, ord: int32(len(b.eps) - 1), ipType: recordIPType(ep)}
	sc := &b.scratch
	sc.ifaces, sc.placed = sc.ifaces[:0], sc.placed[:0]
	for _, nid := range ep.Interfaces {
		if k, ok := b.enis[nid]; ok && !slices.Contains(sc.ifaces, k) {
			sc.ifaces = append(sc.ifaces, k)
		}
	}
	e.private = ep.PrivateDNS && b.opts.privateDNS != privateDNSOff
	if ep.InboundOnly {
		e.inboundIn = b.vpc(ep.VPC)
	}
	hub := !ep.PrivateDNS && b.opts.privateDNS == privateDNSAll
	if hub {
		// A hub endpoint: its private names are the service's, as DescribeVpcEndpointServices
		// gives them; they are not in its DnsEntries.
		e.private = true
	}
	for _, name := range ep.DNSNames {
		e.add(name)
	}
	if hub {
		for _, name := range b.services[ep.Service] {
			e.add(name)
		}
	}
}

// endpointNames adds the names of one endpoint.
type endpointNames struct {
	b         *builder
	ord       int32 // in b.eps
	ipType    types.DnsRecordIpType
	private   bool   // its private names are served
	inboundIn uint32 // see rrset
	placed    bool   // its addresses are in the index
	all4      addrRun
	all6      addrRun
}

// addrRun is a run of an index's addresses of one family.
type addrRun struct{ off, n uint32 }

func (e *endpointNames) add(raw string) {
	b := e.b
	id := b.eps[e.ord].id
	name, wildcard, ok := canonicalName(b.scratch.name[:0], raw)
	if !ok {
		b.report.skipped = append(b.report.skipped, fmt.Sprintf("%s: DNS name %q is not servable", id, raw))
		return
	}
	kind, az := classify(name, id)
	if kind == kindPrivate && !e.private {
		return
	}
	d := e.records(kind, az)
	if d.nA == 0 && d.nAAAA == 0 {
		// No interface listed (yet, or any more: an endpoint created or deleted between the
		// two Describe calls): the next plugin's answer beats an empty one.
		return
	}
	b.add(name, wildcard, e.ord, d)
}

// place copies the endpoint's addresses into the index, interface by interface, once.
func (e *endpointNames) place() {
	if e.placed {
		return
	}
	e.placed = true
	b, ix, sc := e.b, e.b.ix, &e.b.scratch
	e.all4.off, e.all6.off = uint32(len(ix.v4)), uint32(len(ix.v6))
	for _, k := range sc.ifaces {
		n := &b.ifaces[k]
		p := placedIface{az: n.az, v4: addrRun{uint32(len(ix.v4)), uint32(n.nV4)}, v6: addrRun{uint32(len(ix.v6)), uint32(n.nV6)}}
		ix.v4 = append(ix.v4, b.ifaceV4[n.v4:n.v4+uint32(n.nV4)]...)
		ix.v6 = append(ix.v6, b.ifaceV6[n.v6:n.v6+uint32(n.nV6)]...)
		for range n.nV4 {
			ix.v4az = append(ix.v4az, n.az)
		}
		for range n.nV6 {
			ix.v6az = append(ix.v6az, n.az)
		}
		sc.placed = append(sc.placed, p)
	}
	e.all4.n = uint32(len(ix.v4)) - e.all4.off
	e.all6.n = uint32(len(ix.v6)) - e.all6.off
}

// records are the addresses a name of this kind answers with. Record types follow
// DnsRecordIpType: ipv4 A, ipv6 AAAA, dualstack both, service-defined A everywhere and AAAA
// for the regional and zonal names only. A zonal name answers with its AZ's interfaces.
func (e *endpointNames) records(kind nameKind, az []byte) rrsetData {
	wantA, wantAAAA := true, false
	switch e.ipType {
	case types.DnsRecordIpTypeIpv6:
		wantA, wantAAAA = false, true
	case types.DnsRecordIpTypeDualstack:
		wantAAAA = true
	case types.DnsRecordIpTypeServiceDefined:
		wantAAAA = kind != kindPrivate
	}
	e.place()
	v4, v6 := e.all4, e.all6
	if kind == kindZonal {
		v4, v6 = e.zonal(az)
	}
	d := rrsetData{kind: kind}
	if kind == kindPrivate {
		d.inboundIn = e.inboundIn
	}
	if wantA {
		d.a, d.nA = v4.off, e.count(v4.n)
	}
	if wantAAAA {
		d.aaaa, d.nAAAA = v6.off, e.count(v6.n)
	}
	return d
}

// count is n as an rrset holds it: at most maxAddrs, reported beyond.
func (e *endpointNames) count(n uint32) uint8 {
	if n > maxAddrs {
		e.b.report.skipped = append(e.b.report.skipped,
			fmt.Sprintf("%s: %d addresses of one family: the first %d served", e.b.eps[e.ord].id, n, maxAddrs))
		return maxAddrs
	}
	return uint8(n)
}

// zonal returns the addresses of the endpoint's interfaces in az: a run of the endpoint's own
// when they are next to each other (one interface per AZ, as AWS places them), else copies.
func (e *endpointNames) zonal(az []byte) (v4, v6 addrRun) {
	ix, placed := e.b.ix, e.b.scratch.placed
	in := func(p placedIface) bool { return ix.azs[p.az].name == string(az) }
	first := slices.IndexFunc(placed, in)
	if first < 0 {
		return addrRun{}, addrRun{}
	}
	last := first
	for last+1 < len(placed) && in(placed[last+1]) {
		last++
	}
	if !slices.ContainsFunc(placed[last+1:], in) {
		return addrRun{placed[first].v4.off, placed[last].v4.off + placed[last].v4.n - placed[first].v4.off},
			addrRun{placed[first].v6.off, placed[last].v6.off + placed[last].v6.n - placed[first].v6.off}
	}
	v4.off, v6.off = uint32(len(ix.v4)), uint32(len(ix.v6))
	for _, p := range placed {
		if in(p) {
			ix.v4 = append(ix.v4, ix.v4[p.v4.off:p.v4.off+p.v4.n]...)
			ix.v4az = append(ix.v4az, ix.v4az[p.v4.off:p.v4.off+p.v4.n]...)
			ix.v6 = append(ix.v6, ix.v6[p.v6.off:p.v6.off+p.v6.n]...)
			ix.v6az = append(ix.v6az, ix.v6az[p.v6.off:p.v6.off+p.v6.n]...)
		}
	}
	v4.n, v6.n = uint32(len(ix.v4))-v4.off, uint32(len(ix.v6))-v6.off
	return v4, v6
}

// unknownEnum names the first enum field of ep, in the order that decides whether it is served,
// whose value the SDK does not list (compared ignoring case), and that value; "" if there is
// none. A field is only looked at if the ones before it let the endpoint be served: a
// Gateway endpoint, or one being deleted, is left out in silence whatever the rest holds.
func unknownEnum(ep *inventory.Endpoint) (field, value string) {
	switch {
	case !inventory.KnownEnum(types.VpcEndpointType(ep.Type), endpointTypes):
		return "VpcEndpointType", ep.Type
	case !servedType(ep.Type):
		return "", ""
	case !inventory.KnownEnum(types.State(ep.State), states):
		return "State", ep.State
	case !strings.EqualFold(ep.State, string(types.StateAvailable)):
		return "", ""
	case ep.IPAddressType != "" && !inventory.KnownEnum(types.IpAddressType(ep.IPAddressType), ipAddressTypes):
		return "IpAddressType", ep.IPAddressType
	case ep.RecordIPType != "" && !inventory.KnownEnum(types.DnsRecordIpType(ep.RecordIPType), dnsRecordIPTypes):
		return "DnsOptions.DnsRecordIpType", ep.RecordIPType
	}
	return "", ""
}

// The values the SDK lists, read once: Values() makes a new slice each time.
var (
	endpointTypes    = types.VpcEndpointType("").Values()
	states           = types.State("").Values()
	ipAddressTypes   = types.IpAddressType("").Values()
	dnsRecordIPTypes = types.DnsRecordIpType("").Values()
)

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
func recordIPType(ep *inventory.Endpoint) types.DnsRecordIpType {
	t := ep.IPAddressType
	if ep.RecordIPType != "" {
		t = ep.RecordIPType
	}
	return types.DnsRecordIpType(strings.ToLower(t))
}

// add records endpoint ord's claim on name; where endpoints collide, settleOffers (offers.go)
// chooses once all are in. A private name is the apex of its own zone; regional and zonal names are in
// <region>.vpce.amazonaws.com.
func (b *builder) add(name []byte, wildcard bool, ord int32, d rrsetData) {
	own := len(name)
	if d.kind != kindPrivate {
		own = bytes.IndexByte(name, '.') + 1 // the rest is the service's zone, shared
	}
	i := b.node(name, own)
	if d.kind == kindPrivate {
		d.zone = uint32(i)
		if b.opts.authoritative {
			b.ix.nodes[i].apex = true
		}
	} else {
		d.zone = b.zone(vpceZone(name))
	}
	set := &b.ix.nodes[i].exact
	if wildcard {
		set = &b.ix.nodes[i].wild
	}
	if *set == 0 {
		b.ix.rrsets = append(b.ix.rrsets, rrset{})
		b.ix.rrsets[len(b.ix.rrsets)-1].rrsetData = d
		b.owners = append(b.owners, ord)
		*set = uint32(len(b.ix.rrsets))
		return
	}
	j := *set - 1
	if b.owners[j] == ord {
		return // the same name listed twice by one endpoint
	}
	b.offer(j, name, wildcard, ord, d) // settleOffers chooses
}

// node returns the position of name's node, adding it if new: its own part name[:own], the
// rest a shared suffix. A node asked for whole (a zone, whose name its SOA carries) is stored
// whole, even if it was first added in parts.
func (b *builder) node(name []byte, own int) int {
	ix := b.ix
	i, slot, found := ix.probe(name)
	if found {
		if nd := &ix.nodes[i]; own == len(name) && nd.suffix != 0 {
			nd.off, nd.n, nd.suffix = b.write(name), uint8(len(name)), 0
		}
		return i
	}
	i = len(ix.nodes)
	ix.nodes = append(ix.nodes, node{off: b.write(name[:own]), n: uint8(own), suffix: b.suffix(name[own:])})
	if len(ix.nodes)*4 > len(ix.slots)*3 {
		ix.rehash(2 * len(ix.slots))
	} else {
		ix.slots[slot] = uint32(i + 1)
	}
	return i
}

// zone returns the node of a regional or zonal name's zone, stored whole.
func (b *builder) zone(name []byte) uint32 {
	if b.lastZone != 0 && string(name) == b.ix.nodeName(int(b.lastZone-1)) {
		return b.lastZone - 1 // an endpoint's names are in one zone
	}
	i := b.node(name, len(name))
	b.lastZone = uint32(i + 1)
	return uint32(i)
}

// write appends p to the index's names and returns where it starts.
func (b *builder) write(p []byte) uint32 {
	off := b.names.Len()
	b.names.Write(p)
	b.ix.names = b.names.String()
	return uint32(off)
}

// suffix returns the position of a shared suffix, adding it.
func (b *builder) suffix(rest []byte) uint32 {
	if b.lastSuffix != 0 && string(rest) == b.ix.suffix(b.lastSuffix) {
		return b.lastSuffix // the endpoint's names before this one were in the same zone
	}
	if i, ok := b.suffixes[string(rest)]; ok {
		b.lastSuffix = i
		return i
	}
	off := b.write(rest)
	i := uint32(len(b.ix.suffixes))
	b.ix.suffixes = append(b.ix.suffixes, span{off: off, n: uint8(len(rest))})
	b.suffixes[b.ix.names[off:]] = i
	b.lastSuffix = i
	return i
}

// vpceZone returns the <region>.vpce.amazonaws.com zone of a regional or zonal name: the
// labels after the endpoint label and the service id, which may itself have several labels.
func vpceZone(name []byte) []byte {
	if i := bytes.Index(name, []byte(".vpce.amazonaws.")); i >= 0 {
		if j := bytes.LastIndexByte(name[:i], '.'); j >= 0 {
			return name[j+1:]
		}
	}
	_, parent, _ := bytes.Cut(name, []byte("."))
	return parent
}

// classify tells an endpoint's names apart: vpce-<id>-<rand> is regional,
// vpce-<id>-<rand>-<az> zonal, anything not led by the endpoint id a private name.
func classify(name []byte, id string) (nameKind, []byte) {
	label, _, _ := bytes.Cut(name, []byte("."))
	if len(label) <= len(id) || string(label[:len(id)]) != id || label[len(id)] != '-' {
		return kindPrivate, nil
	}
	if _, az, zonal := bytes.Cut(label[len(id)+1:], []byte("-")); zonal {
		return kindZonal, az
	}
	return kindRegional, nil
}

// canonicalName lower-cases a DnsEntries name into an FQDN in buf and splits off a leading
// "*.". Only plain host names are served: letters, digits, '-', '_' and a whole-label leading
// wildcard, within DNS's length limits. A wildcard needs two labels below it, so that no
// entry can capture a whole top-level domain.
func canonicalName(buf []byte, raw string) (name []byte, wildcard bool, ok bool) {
	for i := 0; i < len(raw); i++ {
		if raw[i] >= utf8.RuneSelf { // Unicode's case mapping, which can make ASCII of it
			raw = strings.ToLower(raw)
			break
		}
	}
	name = buf
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		name = append(name, c)
	}
	if len(name) == 0 || name[len(name)-1] != '.' || escaped(name, len(name)-1) {
		name = append(name, '.')
	}
	if rest, cut := bytes.CutPrefix(name, []byte("*.")); cut {
		name, wildcard = rest, true
	}
	// 255 bytes on the wire: an FQDN of 254 characters, 252 below a "*.".
	if len(name) == 1 || len(name) > 254 || wildcard && len(name) > 252 {
		return nil, false, false
	}
	labels, start := 0, 0
	for i, c := range name {
		if c != '.' {
			if !hostChars[c] {
				return nil, false, false
			}
			continue
		}
		if n := i - start; n == 0 || n > 63 {
			return nil, false, false
		}
		labels++
		start = i + 1
	}
	if wildcard && labels < 2 {
		return nil, false, false
	}
	return name, wildcard, true
}
