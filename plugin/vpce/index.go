package vpce

import (
	"net"
	"sync/atomic"

	"github.com/miekg/dns"
)

// nameKind says which of an endpoint's names an answer is for.
type nameKind uint8

const (
	kindRegional nameKind = iota
	kindZonal
	kindPrivate
	kindResource // a custom name of a Resource or ServiceNetwork endpoint (resource.go)
	numKinds
)

func (k nameKind) String() string {
	return [...]string{"regional", "zonal", "private", "resource"}[k]
}

// rrset is what one name answers: its addresses, in interface order. It is immutable once
// published, but for the rotation counter.
type rrset struct {
	a    addrSet
	aaaa addrSet
	kind nameKind
	soa  *dns.SOA // the zone's SOA, for negative answers
	// inboundOnlyVPC is set for the private names of an endpoint with
	// PrivateDnsOnlyForInboundResolverEndpoint: clients inside that VPC reach the service
	// another way (a gateway endpoint) and get the next plugin's answer.
	inboundOnlyVPC string
	next           atomic.Uint32
}

// addrSet is one address family of a name: the addresses and the AZ of each.
type addrSet struct {
	ips []net.IP
	azs []azKey
}

func (s *addrSet) add(ip net.IP, az azKey) {
	s.ips = append(s.ips, ip)
	s.azs = append(s.azs, az)
}

// severalAZs reports whether the set's addresses are in more than one AZ: only then does
// affinity give clients of different AZs different answers.
func (s *addrSet) severalAZs() bool {
	for _, az := range s.azs {
		if az != s.azs[0] {
			return true
		}
	}
	return false
}

// perClient reports whether the answer to qtype differs between clients: affinity over a set
// in several AZs, or a name that clients inside its endpoint's VPC get from the next plugin.
func (rs *rrset) perClient(qtype uint16, aff affinity) bool {
	if rs.inboundOnlyVPC != "" {
		return true
	}
	if aff == affinityNone {
		return false
	}
	return (qtype == dns.TypeA || qtype == dns.TypeANY) && rs.a.severalAZs() ||
		(qtype == dns.TypeAAAA || qtype == dns.TypeANY) && rs.aaaa.severalAZs()
}

// index is one immutable table of the served names, built when the inventory changes and
// swapped in atomically; queries read it without locks.
type index struct {
	exact  map[string]*rrset   // lower-case FQDN -> records
	wild   map[string]*rrset   // "*.X" is stored under X
	apexes map[string]*dns.SOA // private DNS zone apexes, for authoritative NXDOMAIN
	ttl    uint32
	stats  indexStats
	custom *customTable // Resource and ServiceNetwork endpoints' custom names (resource.go); nil if none

	clients  *clientTable // where clients are: the learned subnets and the zone lines
	affinity affinity
}

// lookup finds the records for name, which must be a lower-case FQDN. An exact name wins
// over a wildcard; the closest enclosing wildcard wins over one further up. The map lookups
// with string(name) do not allocate.
func (ix *index) lookup(name []byte) (*rrset, *dns.SOA, result) {
	if rs, ok := ix.exact[string(name)]; ok {
		return rs, rs.soa, resultAnswer
	}
	for parent, ok := parentOf(name); ok; parent, ok = parentOf(parent) {
		if rs, ok := ix.wild[string(parent)]; ok {
			return rs, rs.soa, resultAnswer
		}
	}
	if len(ix.apexes) == 0 {
		return nil, nil, resultMiss
	}
	if soa, ok := ix.apexes[string(name)]; ok {
		return nil, soa, resultNodata
	}
	for parent, ok := parentOf(name); ok; parent, ok = parentOf(parent) {
		if soa, ok := ix.apexes[string(parent)]; ok {
			return nil, soa, resultNXDomain
		}
	}
	return nil, nil, resultMiss
}

// parentOf returns the name below the first label of name (in presentation form), or false
// at the root. A dot inside a label is escaped ("x\.s3...") and separates nothing.
func parentOf(name []byte) ([]byte, bool) {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			i++ // the escaped character (the digits of a \DDD escape are no dots either)
		case '.':
			if i == len(name)-1 {
				return nil, false
			}
			return name[i+1:], true
		}
	}
	return nil, false
}

// escaped reports whether the dot at name[i] is escaped: after an odd run of backslashes.
func escaped(name []byte, i int) bool {
	n := 0
	for i--; i >= 0 && name[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}
