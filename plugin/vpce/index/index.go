package index

import (
	"hash/maphash"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/miekg/dns"
)

// Kind says which of an endpoint's names an answer is for.
type Kind uint8

const (
	Regional Kind = iota
	Zonal
	Private
	Resource // a custom name of a Resource or ServiceNetwork endpoint (resource.go)
	NumKinds
)

func (k Kind) String() string {
	return [...]string{"regional", "zonal", "private", "resource"}[k]
}

// Index is one immutable table of the served names, built when the inventory changes and
// swapped in atomically; queries read it without locks.
//
// It is laid out for a view of hundreds of thousands of names: a few flat tables that refer to
// each other by position, and one string holding every name, so that the garbage collector has
// almost nothing to walk and a lookup touches a few cache lines. Regional and zonal names share
// everything after their first label (the service's zone) through suffixes; an endpoint's
// addresses are stored once, and each of its names answers with a range of them.
type Index struct {
	names    string   // the nodes' own parts and the shared suffixes, back to back
	suffixes []span   // the shared rests of names, in names; 0 is the empty one
	nodes    []node   // the names the table knows
	slots    []uint32 // open addressing over nodes by name: node position + 1, 0 for free
	seed     maphash.Seed
	rrsets   []RRset
	v4       [][4]byte
	v4az     []uint16 // the AZ (in azs) of each v4 address
	v6       [][16]byte
	v6az     []uint16
	azs      []azKey  // 0 is the unknown AZ
	vpcs     []string // VPCs named by rrsets and alts; 0 is none
	// A name offered in several VPCs has an rrset per VPC: the one its node holds (the default,
	// marked shared) and the other VPCs' own, listed in alts by altsOf of the default's position.
	alts   []alt
	altsOf map[uint32]altRun

	ttl    uint32
	stats  Stats
	custom *customTable // Resource and ServiceNetwork endpoints' custom names (resource.go); nil if none

	clients  *clientTable // where clients are: the learned subnets and the zone lines
	affinity Affinity
}

// span is a stretch of the index's names.
type span struct {
	off uint32
	n   uint8
}

// node is a name of the table: a served name, the apex of a wildcard, a private zone apex, or
// the zone of regional and zonal names (for its SOA).
type node struct {
	off    uint32 // the node's own part, names[off:off+n]
	suffix uint32 // the rest of the name, suffixes[suffix]
	exact  uint32 // the name's records, rrsets[exact-1]; 0 for none
	wild   uint32 // the records of "*." + name, rrsets[wild-1]; 0 for none
	n      uint8
	apex   bool // an authoritative private zone: no name below it is left to the next plugin
}

// rrset is what one name answers. It is immutable once published, but for the rotation
// counter.
type RRset struct {
	rrsetData
	next atomic.Uint32
}

// rrsetData are an rrset's records: ranges of the index's addresses, in interface order.
type rrsetData struct {
	a, aaaa uint32 // the first address of each family, in v4 and v6
	zone    uint32 // the node of the zone whose SOA negative answers carry (stored whole)
	// inboundIn is set (vpcs[inboundIn]) for the private names of an endpoint with
	// PrivateDnsOnlyForInboundResolverEndpoint: clients inside that VPC reach the service
	// another way (a gateway endpoint) and get the next plugin's answer.
	inboundIn uint32
	nA, nAAAA uint8 // how many addresses of each family
	kind      Kind
	shared    bool // other VPCs have their own rrset for the name: alts
}

// alt is a VPC's own rrset for a name offered in several VPCs.
type alt struct {
	vpc uint32 // in vpcs
	set uint32 // in rrsets
}

// altRun is a run of alts.
type altRun struct{ off, n uint32 }

// RRset is the rrset at position set, as Lookup returns it.
func (ix *Index) RRset(set uint32) *RRset { return &ix.rrsets[set] }

// TTL is the TTL of the index's records and the negative TTL of its SOAs.
func (ix *Index) TTL() uint32 { return ix.ttl }

// Stats counts what the index serves.
func (ix *Index) Stats() Stats { return ix.stats }

// Kind is the kind of name rs answers for.
func (rs *RRset) Kind() Kind { return rs.kind }

// Rotate returns where the next answer of rs starts: each answer starts one address further.
func (rs *RRset) Rotate() int { return int(rs.next.Add(1) - 1) } // the first keeps interface order

// Zone is the zone whose SOA a negative answer for rs carries.
func (ix *Index) Zone(rs *RRset) string { return ix.nodeName(int(rs.zone)) }

// Placing reports whether the answer of rs depends on where the client is, so that the client
// is worth placing: affinity, a name offered in several VPCs, an inbound-only endpoint's name.
func (ix *Index) Placing(rs *RRset) bool {
	return ix.clients != nil && (ix.affinity != AffinityNone || rs.inboundIn != 0 || rs.shared)
}

// Place returns where the client at addr is, if a known range holds it.
func (ix *Index) Place(addr netip.Addr) (Place, bool) { return ix.clients.lookup(addr) }

// Scope is the Client Subnet scope (RFC 7871) of an answer chosen for addr, sent with source
// bits (clientTable.scope); 0 without known ranges, where no client is placed.
func (ix *Index) Scope(addr netip.Addr, source uint8) uint8 {
	if ix.clients == nil {
		return 0
	}
	return ix.clients.scope(addr, source)
}

// ForClient is the rrset that client (nil when unplaced) gets for the name whose rrset is at
// set: its VPC's own for a name offered in several VPCs, else the name's.
func (ix *Index) ForClient(set uint32, client *Place) *RRset {
	if rs := &ix.rrsets[set]; !rs.shared || client == nil {
		return rs
	}
	return ix.forVPC(set, client.vpc)
}

// Inside reports whether client is inside the VPC of rs's inbound-only endpoint, whose
// clients reach the service another way (a gateway endpoint) and get the next plugin's answer.
func (ix *Index) Inside(rs *RRset, client *Place) bool {
	return rs.inboundIn != 0 && client != nil && client.vpc == ix.vpcs[rs.inboundIn]
}

// forVPC is the rrset that clients of vpc get for the name whose default rrset is at set.
func (ix *Index) forVPC(set uint32, vpc string) *RRset {
	run := ix.altsOf[set]
	for _, a := range ix.alts[run.off : run.off+run.n] {
		if ix.vpcs[a.vpc] == vpc {
			return &ix.rrsets[a.set]
		}
	}
	return &ix.rrsets[set]
}

// maxAddrs is the most addresses of one family a name answers with: the count is one byte.
// An endpoint has one interface per AZ; a name with more addresses is malformed input.
const maxAddrs = 255

// Lookup finds the records for name, which must be a lower-case FQDN: the position of its
// rrset (the default, for a name offered in several VPCs). An exact name wins
// over a wildcard; the closest enclosing wildcard wins over one further up. Where no
// name matches, a private zone apex at or above it makes the answer NODATA (at the apex) or
// NXDOMAIN (below it), carrying the apex's SOA (zone).
func (ix *Index) Lookup(name []byte) (set uint32, zone string, res Result) {
	apex := -1
	atName := false
	if i, ok := ix.find(name); ok {
		nd := &ix.nodes[i]
		if nd.exact != 0 {
			return nd.exact - 1, "", Answer
		}
		if nd.apex {
			apex, atName = i, true
		}
	}
	for parent, ok := parentOf(name); ok; parent, ok = parentOf(parent) {
		i, found := ix.find(parent)
		if !found {
			continue
		}
		nd := &ix.nodes[i]
		if nd.wild != 0 {
			return nd.wild - 1, "", Answer
		}
		if nd.apex && apex < 0 {
			apex = i
		}
	}
	switch {
	case apex < 0:
		return 0, "", Miss
	case atName:
		return 0, ix.nodeName(apex), Nodata
	}
	return 0, ix.nodeName(apex), NXDomain
}

// find returns the position of name's node.
func (ix *Index) find(name []byte) (int, bool) {
	i, _, ok := ix.probe(name)
	return i, ok
}

// probe returns the position of name's node, or the free slot where it would go.
func (ix *Index) probe(name []byte) (node int, slot uint64, found bool) {
	if len(ix.slots) == 0 {
		return 0, 0, false
	}
	mask := uint64(len(ix.slots) - 1)
	for j := maphash.Bytes(ix.seed, name) & mask; ; j = (j + 1) & mask {
		s := ix.slots[j]
		if s == 0 {
			return 0, j, false
		}
		if ix.is(int(s-1), name) {
			return int(s - 1), j, true
		}
	}
}

// is reports whether node i is name.
func (ix *Index) is(i int, name []byte) bool {
	nd := &ix.nodes[i]
	own := ix.names[nd.off : nd.off+uint32(nd.n)]
	rest := ix.suffix(nd.suffix)
	return len(name) == len(own)+len(rest) &&
		string(name[:len(own)]) == own && string(name[len(own):]) == rest
}

func (ix *Index) suffix(i uint32) string {
	s := ix.suffixes[i]
	return ix.names[s.off : s.off+uint32(s.n)]
}

// nodeName is the name of node i: a substring of the index's names for a node stored whole
// (zones, private names), a new string for the others.
func (ix *Index) nodeName(i int) string {
	nd := &ix.nodes[i]
	own := ix.names[nd.off : nd.off+uint32(nd.n)]
	if nd.suffix == 0 {
		return own
	}
	return own + ix.suffix(nd.suffix)
}

// insert puts node i in the slots; the node must not be there yet.
func (ix *Index) insert(i int, name []byte) {
	mask := uint64(len(ix.slots) - 1)
	j := maphash.Bytes(ix.seed, name) & mask
	for ix.slots[j] != 0 {
		j = (j + 1) & mask
	}
	ix.slots[j] = uint32(i + 1)
}

// slotsFor is the size of the slots for n nodes: a power of two at most three quarters full,
// where linear probing stays at one or two probes.
func slotsFor(n int) int {
	size := 8
	for size*3 < n*4 {
		size *= 2
	}
	return size
}

// rehash rebuilds the slots for the nodes there are, in a table of the given size.
func (ix *Index) rehash(size int) {
	ix.slots = make([]uint32, size)
	var buf [NameBuf]byte
	for i := range ix.nodes {
		nd := &ix.nodes[i]
		name := append(append(buf[:0], ix.names[nd.off:nd.off+uint32(nd.n)]...), ix.suffix(nd.suffix)...)
		ix.insert(i, name)
	}
}

// family is one address family of an rrset: a range of the index's v4 or v6 addresses.
type family struct {
	rrtype uint16 // dns.TypeA or dns.TypeAAAA
	off    uint32
	n      int
}

func (rs *RRset) family(rrtype uint16) family {
	if rrtype == dns.TypeA {
		return family{rrtype, rs.a, int(rs.nA)}
	}
	return family{rrtype, rs.aaaa, int(rs.nAAAA)}
}

// addr returns the k-th address of f, as a slice of the index's own memory (callers must not
// change it), and its AZ.
func (ix *Index) addr(f family, k int) (net.IP, azKey) {
	j := f.off + uint32(k)
	if f.rrtype == dns.TypeA {
		return ix.v4[j][:], ix.azs[ix.v4az[j]]
	}
	return ix.v6[j][:], ix.azs[ix.v6az[j]]
}

// severalAZs reports whether the family's addresses are in more than one AZ: only then does
// affinity give clients of different AZs different answers.
func severalAZs(azs []uint16) bool {
	for _, az := range azs {
		if az != azs[0] {
			return true
		}
	}
	return false
}

// PerClient reports whether the answer to qtype differs between clients: affinity over a set
// in several AZs, a name that clients inside its endpoint's VPC get from the next plugin, or
// a name offered in several VPCs.
func (ix *Index) PerClient(rs *RRset, qtype uint16) bool {
	if rs.inboundIn != 0 || rs.shared {
		return true
	}
	if ix.affinity == AffinityNone {
		return false
	}
	return (qtype == dns.TypeA || qtype == dns.TypeANY) && severalAZs(ix.v4az[rs.a:rs.a+uint32(rs.nA)]) ||
		(qtype == dns.TypeAAAA || qtype == dns.TypeANY) && severalAZs(ix.v6az[rs.aaaa:rs.aaaa+uint32(rs.nAAAA)])
}
