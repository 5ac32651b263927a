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
	shared string     // the info line of a name offered in several VPCs; "" if it is not
	// conflicts are the offers that never serve, each with the one that serves in its place.
	conflicts []string
}

// settle sorts out the offers of name (in presentation form, "*." for a wildcard). The VPCs'
// offers are appended to perVPC, a buffer the caller may reuse once done with the result. An
// endpoint's repeated offer (a name it lists twice) counts once.
func settle[T any](name string, offers []offer[T], perVPC []offer[T]) settled[T] {
	slices.SortFunc(offers, func(a, b offer[T]) int { return a.prec.compare(b.prec) })
	s := settled[T]{def: offers[0], perVPC: perVPC[:0]}
	for k, o := range offers[1:] {
		if o.id == offers[k].id {
			continue
		}
		winner, seen := s.def, o.vpc == s.def.vpc || o.vpc == ""
		for _, v := range s.perVPC {
			if v.vpc == o.vpc {
				winner, seen = v, true
			}
		}
		if seen {
			s.conflicts = append(s.conflicts, fmt.Sprintf("%s offered by %s (%s) and %s (%s): serving %s",
				name, winner.id, winner.vpc, o.id, o.vpc, winner.id))
			continue
		}
		s.perVPC = append(s.perVPC, o)
	}
	if len(s.perVPC) > 0 {
		var line strings.Builder
		line.Grow(len(name) + 40*(1+len(s.perVPC)) + 100)
		line.WriteString(name)
		line.WriteString(" offered in ")
		for k, o := range append([]offer[T]{s.def}, s.perVPC...) {
			if k > 0 {
				line.WriteString(", ")
			}
			line.WriteString(o.vpc + " (" + o.id + ")")
		}
		line.WriteString(": each VPC's clients get their VPC's, other clients ")
		line.WriteString(s.def.id + " (" + s.def.prec.rule(s.perVPC[0].prec) + ")")
		s.shared = line.String()
	}
	return s
}

// offerAt is an endpoint's offer of a name that more than one endpoint offers, while the
// builder runs: one flat list for all such names, sorted out at the end.
type offerAt struct {
	offer[endpointRecords]
	set      uint32 // the name's rrset
	node     uint32 // the name's node, for the report
	wildcard bool
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

// offer records endpoint ord's offer of d for the name of node, whose rrset j another endpoint
// holds; the first time, the holder's offer too.
func (b *builder) offer(j, node uint32, wildcard bool, ord int32, d rrsetData) {
	if _, ok := b.contested[j]; !ok {
		if b.contested == nil {
			b.contested = map[uint32]struct{}{}
		}
		b.contested[j] = struct{}{}
		b.offered = append(b.offered, offerAt{b.offerOf(b.owners[j], b.ix.rrsets[j].rrsetData), j, node, wildcard})
	}
	b.offered = append(b.offered, offerAt{b.offerOf(ord, d), j, node, wildcard})
}

// settleOffers gives each name offered in several VPCs an rrset per other VPC (alts), and
// reports the names and conflicts, in the order of the names' rrsets.
func (b *builder) settleOffers() {
	ix := b.ix
	slices.SortFunc(b.offered, func(x, y offerAt) int { return cmp.Compare(x.set, y.set) })
	var group, perVPC []offer[endpointRecords] // reused from one name to the next
	for start := 0; start < len(b.offered); {
		first := &b.offered[start]
		end := start + 1
		for end < len(b.offered) && b.offered[end].set == first.set {
			end++
		}
		group = group[:0]
		for _, o := range b.offered[start:end] {
			group = append(group, o.offer)
		}
		name := ix.nodeName(int(first.node))
		if first.wildcard {
			name = "*." + name
		}
		j := first.set
		start = end
		s := settle(name, group, perVPC)
		perVPC = s.perVPC
		if s.shared != "" {
			b.report.Shared = append(b.report.Shared, s.shared)
		}
		b.report.Conflicts = append(b.report.Conflicts, s.conflicts...)
		ix.rrsets[j].rrsetData, b.owners[j] = s.def.data.d, s.def.data.ord
		if len(s.perVPC) == 0 {
			continue
		}
		ix.rrsets[j].shared = true
		if ix.altsOf == nil {
			ix.altsOf = map[uint32]altRun{}
		}
		ix.altsOf[j] = altRun{off: uint32(len(ix.alts)), n: uint32(len(s.perVPC))}
		for _, o := range s.perVPC {
			set := uint32(len(ix.rrsets))
			ix.rrsets = append(ix.rrsets, RRset{})
			ix.rrsets[set].rrsetData = o.data.d
			b.owners = append(b.owners, o.data.ord)
			ix.alts = append(ix.alts, alt{vpc: b.vpc(o.vpc), set: set})
		}
	}
}
