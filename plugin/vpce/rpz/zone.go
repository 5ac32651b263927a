// Package rpz publishes a view (an index) as a Response Policy Zone: for every name N the
// index serves, the records a client outside every VPC gets, owned by N under the zone's
// origin, so that a resolver that pulls the zone by transfer (BIND, Unbound, PowerDNS Recursor,
// Knot Resolver) answers endpoint names itself. The zone is not held as records: it is walked
// from the index when it is transferred, written or asked, and only its digest is kept.
package rpz

import (
	"net"
	"strings"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/miekg/dns"
)

// SOA timers. NOTIFY carries every change; refresh is how soon a secondary that missed one
// asks for the serial itself (one SOA query), and expire how long it keeps answering from its
// copy when this server cannot be reached: a week of the last good view, as the plugin itself
// serves its last good view when AWS fails.
const (
	soaRefresh = 60
	soaRetry   = 30
	soaExpire  = 7 * 24 * 3600
)

// Zone is one index as a Response Policy Zone with a serial.
type Zone struct {
	origin string // lower-case FQDN
	serial uint32
	ix     *index.Index
	in     func(name []byte) bool // whether the plugin answers the lower-case FQDN name (its zones)
	digest uint64
}

// New is ix as the zone origin, of the names in reports true for; Serial is 0 until SetSerial.
func New(origin string, ix *index.Index, in func(name []byte) bool) *Zone {
	z := &Zone{origin: strings.ToLower(dns.Fqdn(origin)), ix: ix, in: in}
	z.digest = z.sum()
	return z
}

// Origin is the zone's name.
func (z *Zone) Origin() string { return z.origin }

// Serial is the SOA serial.
func (z *Zone) Serial() uint32 { return z.serial }

// SetSerial sets the SOA serial; a Zone is not changed once published.
func (z *Zone) SetSerial(serial uint32) { z.serial = serial }

// Digest identifies the zone's content, serial aside: equal digests, equal records.
func (z *Zone) Digest() uint64 { return z.digest }

// SOA is the zone's SOA record.
func (z *Zone) SOA() *dns.SOA { return z.soa(z.serial) }

// soa is the zone's SOA record with serial. Its names are localhost, as RPZ zones'
// conventionally are: the zone is never delegated, only transferred.
func (z *Zone) soa(serial uint32) *dns.SOA {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: z.origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: z.ix.TTL()},
		Ns:      "localhost.",
		Mbox:    "hostmaster.localhost.",
		Serial:  serial,
		Refresh: soaRefresh,
		Retry:   soaRetry,
		Expire:  soaExpire,
		Minttl:  z.ix.TTL(),
	}
}

// NS is the zone's NS record, which a zone must have to be loaded.
func (z *Zone) NS() *dns.NS {
	return &dns.NS{Hdr: dns.RR_Header{Name: z.origin, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: z.ix.TTL()}, Ns: "localhost."}
}

// record is one record of the zone before it is a dns.RR: its owner is name, own + rest (a
// wildcard's apex, when wildcard), under the origin. The parts are the index's memory.
type record struct {
	own, rest string
	wildcard  bool
	rrtype    uint16 // A, AAAA or CNAME
	ip        net.IP // the index's memory: copied when made an RR
	target    string
}

// owner is the record's owner name.
func (r *record) owner(origin string) string {
	if r.wildcard {
		return "*." + r.own + r.rest + origin
	}
	return r.own + r.rest + origin
}

// walk calls emit with every record of the zone but its SOA and NS: each served name's
// addresses as a client the plugin cannot place gets them (the default endpoint of a name
// offered in several VPCs, every AZ's; the index holds no name without any), and each custom
// name's CNAME to its default target. Names that would be too long under the origin are left
// out and counted.
func (z *Zone) walk(emit func(*record)) (tooLong int) {
	fits := func(n int, wildcard bool) bool {
		n += len(z.origin)
		if wildcard {
			n += 2
		}
		if n > 254 { // the presentation form of 255 octets on the wire, with its trailing dot
			tooLong++
			return false
		}
		return true
	}
	var r record
	var name [index.NameBuf]byte
	for e := range z.ix.Entries() {
		own, rest := e.Parts()
		if !z.in(append(append(name[:0], own...), rest...)) || !fits(len(own)+len(rest), e.Wildcard) {
			continue
		}
		r = record{own: own, rest: rest, wildcard: e.Wildcard}
		for _, t := range [...]uint16{dns.TypeA, dns.TypeAAAA} {
			r.rrtype = t
			z.ix.Addrs(e.RRset, t, 0, nil, func(ip net.IP) {
				r.ip = ip
				emit(&r)
			})
		}
	}
	for custom, c := range z.ix.CustomNames() {
		if !z.in(append(name[:0], custom...)) || !fits(len(custom), false) {
			continue
		}
		r = record{own: custom, rrtype: dns.TypeCNAME, target: c.Target(nil)}
		emit(&r)
	}
	return tooLong
}

// sum is the digest of the zone's records: a sum of their hashes, so that the order the index
// yields them in does not matter.
func (z *Zone) sum() uint64 {
	var total uint64
	z.walk(func(r *record) {
		h := fnv(fnv(offset64, r.own), r.rest)
		if r.wildcard {
			h = fnv(h, "*")
		}
		h = fnvUint(h, uint64(r.rrtype))
		h = fnv(h, string(r.ip))
		total += fnv(h, r.target)
	})
	return total + fnvUint(fnv(offset64, z.origin), uint64(z.ix.TTL()))
}

// FNV-1a, 64 bits, over strings: hash/fnv would have each converted to a []byte, an allocation
// per record of a view of hundreds of thousands.
const (
	offset64 = 14695981039346656037
	prime64  = 1099511628211
)

func fnv(h uint64, s string) uint64 {
	for i := range len(s) {
		h = (h ^ uint64(s[i])) * prime64
	}
	return h
}

func fnvUint(h, v uint64) uint64 {
	for range 8 {
		h = (h ^ v&0xff) * prime64
		v >>= 8
	}
	return h
}

// rr is r as a record of the zone.
func (z *Zone) rr(r *record) dns.RR {
	return z.rrNamed(r, r.owner(z.origin))
}

// rrNamed is r as a record owned by owner.
func (z *Zone) rrNamed(r *record, owner string) dns.RR {
	hdr := dns.RR_Header{Name: owner, Rrtype: r.rrtype, Class: dns.ClassINET, Ttl: z.ix.TTL()}
	switch r.rrtype {
	case dns.TypeA:
		return &dns.A{Hdr: hdr, A: append(net.IP(nil), r.ip...)}
	case dns.TypeAAAA:
		return &dns.AAAA{Hdr: hdr, AAAA: append(net.IP(nil), r.ip...)}
	default:
		return &dns.CNAME{Hdr: hdr, Target: r.target}
	}
}
