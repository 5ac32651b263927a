package index

import (
	"net"

	"github.com/miekg/dns"
)

// servedName is one name of an index as tests read it.
type servedName struct {
	rs          *RRset
	kind        Kind
	a, aaaa     []net.IP
	aAZ, aaaaAZ []azKey
	zone        string
	inboundVPC  string
	perVPC      map[string]servedName // for a name offered in several VPCs: the other VPCs' own
}

// indexTable is what an index serves, as maps: its exact names, its wildcards by apex, and its
// authoritative zone apexes.
type indexTable struct {
	exact, wild map[string]servedName
	apexes      map[string]bool
}

func tableOf(ix *Index) indexTable {
	t := indexTable{exact: map[string]servedName{}, wild: map[string]servedName{}, apexes: map[string]bool{}}
	served := func(set uint32) servedName {
		rs := &ix.rrsets[set-1]
		s := servedName{rs: rs, kind: rs.kind, zone: ix.nodeName(int(rs.zone)), inboundVPC: ix.InboundVPC(rs)}
		for _, f := range []family{rs.family(dns.TypeA), rs.family(dns.TypeAAAA)} {
			for k := range f.n {
				ip, az := ix.addr(f, k)
				if f.rrtype == dns.TypeA {
					s.a, s.aAZ = append(s.a, ip), append(s.aAZ, az)
				} else {
					s.aaaa, s.aaaaAZ = append(s.aaaa, ip), append(s.aaaaAZ, az)
				}
			}
		}
		return s
	}
	withAlts := func(set uint32) servedName {
		s := served(set)
		if run, ok := ix.altsOf[set-1]; ok {
			s.perVPC = map[string]servedName{}
			for _, a := range ix.alts[run.off : run.off+run.n] {
				s.perVPC[ix.vpcs[a.vpc]] = served(a.set + 1)
			}
		}
		return s
	}
	for i, nd := range ix.nodes {
		name := ix.nodeName(i)
		if nd.exact != 0 {
			t.exact[name] = withAlts(nd.exact)
		}
		if nd.wild != 0 {
			t.wild[name] = withAlts(nd.wild)
		}
		if nd.apex {
			t.apexes[name] = true
		}
	}
	return t
}
