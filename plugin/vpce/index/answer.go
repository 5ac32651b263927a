package index

import "net"

// Addrs calls add with the addresses of rs of type rrtype (dns.TypeA or dns.TypeAAAA), rotated
// by start. With affinity and a client in a known AZ, that AZ's addresses come first (prefer)
// or alone (only; all of them when the AZ has none), so that traffic stays in the client's AZ.
// The addresses are the index's own memory: add must not change or keep them.
func (ix *Index) Addrs(rs *RRset, rrtype uint16, start int, client *Place, add func(net.IP)) {
	f := rs.family(rrtype)
	local := 0
	if ix.affinity != AffinityNone && client != nil {
		for k := range f.n {
			if _, az := ix.addr(f, k); az.matches(client.az) {
				local++
			}
		}
	}
	switch {
	case local == 0 || local == f.n:
		ix.addrsIn(f, start, nil, false, add)
	case ix.affinity == AffinityOnly:
		ix.addrsIn(f, start, client, true, add)
	default:
		ix.addrsIn(f, start, client, true, add)
		ix.addrsIn(f, start, client, false, add)
	}
}

// addrsIn calls add, in rotated order, with the addresses whose AZ is (or, with in false, is
// not) the client's; all of them without a client.
func (ix *Index) addrsIn(f family, start int, client *Place, in bool, add func(net.IP)) {
	for i := range f.n {
		ip, az := ix.addr(f, (start+i)%f.n)
		if client == nil || az.matches(client.az) == in {
			add(ip)
		}
	}
}
