package index

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A name can be offered by several endpoints: the same service's endpoint in each of several
// VPCs (each VPC's Route 53 Resolver answers with its own, since each endpoint's private hosted
// zone is associated with its own VPC only), or, rarely, two endpoints in one VPC. Each VPC
// keeps its best offer, which its clients get; the best of all is the default, which clients
// of other VPCs and unplaced clients get. The other offers of a VPC never serve: a conflict.

// offer is one endpoint's (or association's) claim on a name.
type offer[T any] struct {
	vpc  string
	prec precedence
	id   string // the endpoint or association, for the log
	data T
}

// precedence orders the offers of one name: VPC priority first, then the oldest endpoint, then
// the smallest id, so that the choice is the same on every build.
type precedence struct {
	rank    int  // position of the endpoint's VPC in the priority list
	dated   bool // whether created is known: a known time comes first
	created time.Time
	id      string
}

func (a precedence) before(b precedence) bool {
	return a.compare(b) < 0
}

func (a precedence) compare(b precedence) int {
	switch {
	case a.rank != b.rank:
		return cmp.Compare(a.rank, b.rank)
	case a.dated != b.dated:
		if a.dated {
			return -1
		}
		return 1
	case a.dated && !a.created.Equal(b.created):
		return a.created.Compare(b.created)
	}
	return strings.Compare(a.id, b.id)
}

// rule names what made a the default over b.
func (a precedence) rule(b precedence) string {
	switch {
	case a.rank != b.rank:
		return "first in the vpc list"
	case a.dated != b.dated || a.dated && !a.created.Equal(b.created):
		return "the oldest"
	}
	return "the smallest id"
}

// settled is a name's offers sorted out.
type settled[T any] struct {
	def    offer[T]   // for clients of no offering VPC, and for the default's VPC
	perVPC []offer[T] // each other VPC's best, in precedence order; none for offers without a VPC
	lines  []string   // what the log says: conflicts and the VPCs' shares
	shared bool       // lines[0] is the info line of a name shared by VPCs; the rest are conflicts
}

// settle sorts out the offers of name (in presentation form, "*." for a wildcard).
func settle[T any](name string, offers []offer[T]) settled[T] {
	slices.SortFunc(offers, func(a, b offer[T]) int { return a.prec.compare(b.prec) })
	s := settled[T]{def: offers[0]}
	best := map[string]offer[T]{offers[0].vpc: offers[0]} // by VPC
	var conflicts []string
	for _, o := range offers[1:] {
		winner, seen := best[o.vpc]
		if seen || o.vpc == "" {
			if !seen {
				winner = s.def
			}
			conflicts = append(conflicts, fmt.Sprintf("%s offered by %s (%s) and %s (%s): serving %s",
				name, winner.id, winner.vpc, o.id, o.vpc, winner.id))
			continue
		}
		best[o.vpc] = o
		s.perVPC = append(s.perVPC, o)
	}
	if len(s.perVPC) > 0 {
		s.shared = true
		in := make([]string, 0, 1+len(s.perVPC))
		for _, o := range append([]offer[T]{s.def}, s.perVPC...) {
			in = append(in, fmt.Sprintf("%s (%s)", o.vpc, o.id))
		}
		s.lines = append(s.lines, fmt.Sprintf("%s offered in %s: each VPC's clients get their VPC's, other clients %s (%s)",
			name, strings.Join(in, ", "), s.def.id, s.def.prec.rule(s.perVPC[0].prec)))
	}
	s.lines = append(s.lines, conflicts...)
	return s
}

// offers are the offers of one name the builder has seen, by rrset.
type offers struct {
	name   string // "*." for a wildcard
	offers []offer[endpointRecords]
}

// endpointRecords are what an endpoint offers for a name: its records.
type endpointRecords struct {
	ord int32 // in builder.eps
	d   rrsetData
}

// offerOf is endpoint ord's offer of records d.
func (b *builder) offerOf(ord int32, d rrsetData) offer[endpointRecords] {
	e := &b.eps[ord]
	return offer[endpointRecords]{vpc: e.ep.VPC, id: e.id,
		prec: precedence{e.rank, e.ep.Dated, e.ep.Created, e.id}, data: endpointRecords{ord, d}}
}

// offer records endpoint ord's offer of d for name, whose rrset j another endpoint holds.
func (b *builder) offer(j uint32, name []byte, wildcard bool, ord int32, d rrsetData) {
	o, ok := b.offers[j]
	if !ok {
		n := string(name)
		if wildcard {
			n = "*." + n
		}
		o = &offers{name: n, offers: []offer[endpointRecords]{b.offerOf(b.owners[j], b.ix.rrsets[j].rrsetData)}}
		if b.offers == nil {
			b.offers = map[uint32]*offers{}
		}
		b.offers[j] = o
	}
	if !slices.ContainsFunc(o.offers, func(x offer[endpointRecords]) bool { return x.data.ord == ord }) {
		o.offers = append(o.offers, b.offerOf(ord, d))
	}
}

// settleOffers gives each name offered in several VPCs an rrset per other VPC (alts), and
// reports the names and conflicts, in the order of the names' rrsets.
func (b *builder) settleOffers() {
	ix := b.ix
	sets := make([]uint32, 0, len(b.offers))
	for j := range b.offers {
		sets = append(sets, j)
	}
	slices.Sort(sets)
	for _, j := range sets {
		s := settle(b.offers[j].name, b.offers[j].offers)
		lines := s.lines
		if s.shared {
			b.report.Shared = append(b.report.Shared, lines[0])
			lines = lines[1:]
		}
		b.report.Conflicts = append(b.report.Conflicts, lines...)
		ix.rrsets[j].rrsetData, b.owners[j] = s.def.data.d, s.def.data.ord
		if len(s.perVPC) == 0 {
			continue
		}
		ix.rrsets[j].shared = true
		run := altRun{off: uint32(len(ix.alts)), n: uint32(len(s.perVPC))}
		for _, o := range s.perVPC {
			set := uint32(len(ix.rrsets))
			ix.rrsets = append(ix.rrsets, RRset{})
			ix.rrsets[set].rrsetData = o.data.d
			b.owners = append(b.owners, o.data.ord)
			ix.alts = append(ix.alts, alt{vpc: b.vpc(o.vpc), set: set})
		}
		if ix.altsOf == nil {
			ix.altsOf = map[uint32]altRun{}
		}
		ix.altsOf[j] = run
	}
}
