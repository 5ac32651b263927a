package index

import "iter"

// Entry is one name an index serves, for whoever walks a whole view rather than asks for names.
type Entry struct {
	Name     string // lower-case FQDN; for a wildcard, the apex below which it answers
	Wildcard bool
	RRset    *RRset // what clients get; for a name offered in several VPCs, clients of no other one
	// PerVPC are the other VPCs' own answers for a name offered in several VPCs, by VPC id.
	PerVPC map[string]*RRset
}

// Entries yields the names the index serves, in no particular order, without holding them
// all: a view can have hundreds of thousands.
func (ix *Index) Entries() iter.Seq[Entry] {
	entry := func(name string, wildcard bool, set uint32) Entry {
		e := Entry{Name: name, Wildcard: wildcard, RRset: &ix.rrsets[set-1]}
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
			if nd.exact != 0 && !yield(entry(ix.nodeName(i), false, nd.exact)) {
				return
			}
			if nd.wild != 0 && !yield(entry(ix.nodeName(i), true, nd.wild)) {
				return
			}
		}
	}
}

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
