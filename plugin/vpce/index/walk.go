package index

import "iter"

// Entry is one name an index serves, for whoever walks a whole view rather than asks for names.
// Its name (a lower-case FQDN; for a wildcard, the apex below which it answers) is in two parts
// of the index's own memory, so that a walk costs no allocation per name.
type Entry struct {
	own, rest string // the name is own + rest
	Wildcard  bool
	RRset     *RRset // what clients get; for a name offered in several VPCs, clients of no other one
	// PerVPC are the other VPCs' own answers for a name offered in several VPCs, by VPC id.
	PerVPC map[string]*RRset
}

// Entries yields the names the index serves, in no particular order, without holding them
// all: a view can have hundreds of thousands.
func (ix *Index) Entries() iter.Seq[Entry] {
	entry := func(i int, wildcard bool, set uint32) Entry {
		nd := &ix.nodes[i]
		e := Entry{own: ix.names[nd.off : nd.off+uint32(nd.n)], rest: ix.suffix(nd.suffix), Wildcard: wildcard, RRset: &ix.rrsets[set-1]}
		if run, ok := ix.altsOf[set-1]; ok {
			e.PerVPC = make(map[string]*RRset, run.n)
			for _, a := range ix.alts[run.off : run.off+run.n] {
				e.PerVPC[ix.vpcs[a.vpc]] = &ix.rrsets[a.set]
			}
		}
		return e
	}
	return func(yield func(Entry) bool) {
		for i, nd := range ix.nodes {
			if nd.exact != 0 && !yield(entry(i, false, nd.exact)) {
				return
			}
			if nd.wild != 0 && !yield(entry(i, true, nd.wild)) {
				return
			}
		}
	}
}

// Name is the entry's name, a new string for most.
func (e Entry) Name() string { return e.own + e.rest }

// Parts are the entry's name in its two parts, own + rest, the index's own memory.
func (e Entry) Parts() (own, rest string) { return e.own, e.rest }

// Apexes lists the private zones the index answers NXDOMAIN below (authoritative).
func (ix *Index) Apexes() []string {
	var out []string
	for i, nd := range ix.nodes {
		if nd.apex {
			out = append(out, ix.nodeName(i))
		}
	}
	return out
}

// CustomNames lists the custom names of Resource and ServiceNetwork endpoints, by name.
func (ix *Index) CustomNames() map[string]*CustomName {
	if ix.custom == nil {
		return nil
	}
	return ix.custom.names
}

// InboundVPC is the VPC whose clients get the next plugin's answer for rs (an inbound-only
// endpoint's private name), or "".
func (ix *Index) InboundVPC(rs *RRset) string { return ix.vpcs[rs.inboundIn] }
