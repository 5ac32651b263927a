package index

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// Options are the parts of the configuration that shape an index.
type Options struct {
	TTL           uint32
	Authoritative bool     // NXDOMAIN below a served private name, as its private hosted zone answers
	VPCs          []string // if set, only these VPCs, in priority order for a shared private name
	PrivateDNS    PrivateDNSMode
	Affinity      Affinity
	AZRanges      []AZRange  // the zone option: client ranges outside the VPCs (on premises, VPN) by AZ
	VPCRanges     []VPCRange // the client_vpc option: client ranges the subnets do not cover, by VPC
}

// PrivateDNSMode is the private_dns option: which endpoints' private names are served.
type PrivateDNSMode uint8

const (
	PrivateDNSEnabled PrivateDNSMode = iota // endpoints with PrivateDnsEnabled, as AWS does
	PrivateDNSAll                           // also hub endpoints with it disabled, from ServiceDetails
	PrivateDNSOff                           // regional and zonal names only
)

// Affinity is the affinity option: how a client's AZ orders the answer.
type Affinity uint8

const (
	AffinityNone   Affinity = iota
	AffinityPrefer          // the client's AZ first, the rest after
	AffinityOnly            // the client's AZ only (all of them when it has none)
)

// AZRange is a zone line of the Corefile: client ranges in an AZ (an AZ name or ID).
type AZRange struct {
	AZ       string
	Prefixes []netip.Prefix
}

// VPCRange is a client_vpc line of the Corefile: client ranges whose answers are their VPC's.
type VPCRange struct {
	VPC      string
	Prefixes []netip.Prefix
}

// Report lists what a build left out or had to decide, for one log line each per build.
type Report struct {
	Shared    []string // names offered in several VPCs, each VPC's clients served by its own
	Conflicts []string // names offered twice in one VPC, where one offer never serves
	Skipped   []string // what cannot be served, and why
}

// Build turns an inventory into the serving index. It never fails: what cannot be
// served (a bad name, an unknown interface) is left out and reported. It allocates per table,
// not per name: the tables grow by appending, names are assembled in one buffer.
func Build(inv *inventory.Compact, opts Options) (*Index, Report) {
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
	opts       Options
	ix         *Index
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
	report     Report
	offered    []offerAt           // the offers of names more than one endpoint offers (offers.go)
	contested  map[uint32]struct{} // the rrsets of those names
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
	name   [NameBuf]byte
}

// placedIface is where one of an endpoint's interfaces' addresses are in the index.
type placedIface struct {
	az     uint16
	v4, v6 addrRun
}

func newBuilder(inv *inventory.Compact, opts Options) *builder {
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
		ix:       &Index{ttl: opts.TTL, affinity: opts.Affinity, seed: maphash.MakeSeed()},
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
	ix.rrsets = make([]RRset, 0, names)
	b.owners = make([]int32, 0, names)
	ix.slots = make([]uint32, slotsFor(names))
	b.names.Grow(bytes)
	b.parseInterfaces(inv.Interfaces)
	ix.v4, ix.v4az = make([][4]byte, 0, len(b.ifaceV4)), make([]uint16, 0, len(b.ifaceV4))
	ix.v6, ix.v6az = make([][16]byte, 0, len(b.ifaceV6)), make([]uint16, 0, len(b.ifaceV6))
	return b
}

// finish counts what the index serves and trims its tables to their size.
func (b *builder) finish(inv *inventory.Compact) (*Index, Report) {
	b.report.Skipped = append(b.report.Skipped, b.unknown.lines()...)
	b.settleOffers()
	ix := b.ix
	ix.clients = buildClients(inv, b.opts.AZRanges, b.opts.VPCRanges)
	ix.stats = newStats()
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
	ix.stats.Conflicts = len(b.report.Conflicts)
	slices.Sort(b.report.Conflicts)

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
		b.ix.azs = append(b.ix.azs, k.clone())
	}
	return i
}

// vpc returns the position of a VPC in the index's table, adding it.
func (b *builder) vpc(id string) uint32 {
	i, ok := b.vpcs[id]
	if !ok {
		i = uint32(len(b.ix.vpcs))
		b.vpcs[id] = i
		b.ix.vpcs = append(b.ix.vpcs, strings.Clone(id)) // not the inventory's memory: see Clone
	}
	return i
}

func (b *builder) addEndpoint(ep *inventory.Endpoint) {
	id := strings.ToLower(ep.ID)
	if _, seen := b.ids[id]; id == "" || seen {
		return
	}
	// The first copy of an id decides, whatever it holds: fresh sources come before the cache
	// file's inventory, so that an older copy never serves in place of a newer one that is
	// deleting, of another type or unknown (custom.go follows the same rule).
	b.ids[id] = struct{}{}
	if field, value := unknownEnum(ep); field != "" {
		b.unknown.add(field, value, id)
		return
	}
	if !strings.EqualFold(ep.Type, inventory.InterfaceEndpoint) ||
		!strings.EqualFold(ep.State, inventory.StateAvailable) {
		return
	}
	rank := len(b.opts.VPCs)
	if len(b.opts.VPCs) > 0 {
		if rank = slices.Index(b.opts.VPCs, ep.VPC); rank < 0 {
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
	e.private = ep.PrivateDNS && b.opts.PrivateDNS != PrivateDNSOff
	if ep.InboundOnly {
		e.inboundIn = b.vpc(ep.VPC)
	}
	hub := !ep.PrivateDNS && b.opts.PrivateDNS == PrivateDNSAll
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
	ipType    inventory.RecordIPType
	private   bool   // its private names are served
	inboundIn uint32 // see rrset
	copied    bool   // its addresses are in the index
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
		b.report.Skipped = append(b.report.Skipped, fmt.Sprintf("%s: DNS name %q is not servable", id, raw))
		return
	}
	kind, az := classify(name, id)
	if kind == Private && !e.private {
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

// copyAddrs copies the endpoint's addresses into the index, interface by interface, once.
func (e *endpointNames) copyAddrs() {
	if e.copied {
		return
	}
	e.copied = true
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
func (e *endpointNames) records(kind Kind, az []byte) rrsetData {
	wantA, wantAAAA := true, false
	switch e.ipType {
	case inventory.RecordIPv6:
		wantA, wantAAAA = false, true
	case inventory.RecordDualstack:
		wantAAAA = true
	case inventory.RecordServiceDefined:
		wantAAAA = kind != Private
	}
	e.copyAddrs()
	v4, v6 := e.all4, e.all6
	if kind == Zonal {
		v4, v6 = e.zonal(az)
	}
	d := rrsetData{kind: kind}
	if kind == Private {
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
		e.b.report.Skipped = append(e.b.report.Skipped,
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

// servicePrivateNames maps service names to the private DNS names their endpoints may serve:
// PrivateDnsNames (or PrivateDnsName), for services of other owners only once the owner has
// verified the domain, as AWS requires before it serves them.
func servicePrivateNames(services []inventory.Service) map[string][]string {
	m := map[string][]string{}
	for _, s := range services {
		if s.Owner != "amazon" && !strings.EqualFold(s.Verification, inventory.NameVerified) {
			continue
		}
		names := s.PrivateNames
		if len(names) == 0 && s.PrivateName != "" {
			names = []string{s.PrivateName}
		}
		m[s.Name] = names
	}
	return m
}

// recordIPType is the endpoint's DnsRecordIpType, defaulting to its IpAddressType.
func recordIPType(ep *inventory.Endpoint) inventory.RecordIPType {
	t := ep.IPAddressType
	if ep.RecordIPType != "" {
		t = string(ep.RecordIPType)
	}
	return inventory.RecordIPType(strings.ToLower(t))
}

// add records endpoint ord's claim on name; where endpoints collide, settleOffers (offers.go)
// chooses once all are in. A private name is the apex of its own zone; regional and zonal names are in
// <region>.vpce.amazonaws.com.
func (b *builder) add(name []byte, wildcard bool, ord int32, d rrsetData) {
	own := len(name)
	if d.kind != Private {
		own = bytes.IndexByte(name, '.') + 1 // the rest is the service's zone, shared
	}
	i := b.node(name, own)
	if d.kind == Private {
		d.zone = uint32(i)
		if b.opts.Authoritative {
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
		b.ix.rrsets = append(b.ix.rrsets, RRset{})
		b.ix.rrsets[len(b.ix.rrsets)-1].rrsetData = d
		b.owners = append(b.owners, ord)
		*set = uint32(len(b.ix.rrsets))
		return
	}
	j := *set - 1
	if b.owners[j] == ord {
		return // the same name listed twice by one endpoint
	}
	b.offer(j, uint32(i), wildcard, ord, d) // settleOffers chooses
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
