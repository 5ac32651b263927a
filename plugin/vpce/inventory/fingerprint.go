package inventory

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"time"
)

// Fingerprint identifies what the index builder reads of an inventory, so that an unchanged
// account costs no rebuild and no cache file write. A Compact holds only those fields but the
// endpoints' Subnets, which a partial listing compares and which are left out here: a change
// nothing is built from is no change. A field that build.go starts reading must be kept by
// Compact, added here and to builderReads in fingerprint_test.go, which checks that exactly
// those fields count.
func Fingerprint(c *Compact) [sha256.Size]byte {
	f := &fingerprinter{h: sha256.New(), buf: make([]byte, 0, 2*flushAt)}
	each(f, c.Endpoints, (*fingerprinter).endpoint)
	each(f, c.Interfaces, (*fingerprinter).networkInterface)
	each(f, c.Services, (*fingerprinter).service)
	each(f, c.Subnets, (*fingerprinter).subnet)
	each(f, c.Associations, (*fingerprinter).association)
	f.flush()
	var sum [sha256.Size]byte
	f.h.Sum(sum[:0])
	return sum
}

// each writes the length of list, then every element of it with write.
func each[T any](f *fingerprinter, list []T, write func(*fingerprinter, *T)) {
	f.list(len(list))
	for i := range list {
		write(f, &list[i])
	}
}

// fingerprinter writes fields to a sha256, through a buffer so that the hash sees few large
// writes. Every value is length-prefixed, so that no two inventories encode alike; an absent
// string or bool counts as its zero value, as it does for the builder.
type fingerprinter struct {
	h   hash.Hash
	buf []byte
}

const flushAt = 4096

func (f *fingerprinter) endpoint(ep *Endpoint) {
	f.text(ep.ID)
	f.text(ep.Type)
	f.text(ep.State)
	f.text(ep.VPC)
	f.text(ep.Service)
	f.text(ep.ServiceRegion) // the region label of the metrics
	f.text(ep.IPAddressType)
	f.text(string(ep.RecordIPType))
	f.flag(ep.InboundOnly)
	f.flag(ep.PrivateDNS)
	f.strs(ep.DNSNames)
	f.strs(ep.Interfaces)
	f.time(ep.Dated, ep.Created) // the order of conflicting claims
	// The region label of a Resource or ServiceNetwork endpoint, which has no service name.
	f.text(ep.ResourceConfigurationARN)
	f.text(ep.ServiceNetworkARN)
	f.flushIfFull()
}

func (f *fingerprinter) networkInterface(ni *Interface) {
	f.text(ni.ID)
	f.text(ni.AZ)
	f.text(ni.AZID)
	f.text(ni.PrivateIP)
	f.strs(ni.PrivateIPs)
	f.text(ni.IPv6)
	f.strs(ni.IPv6s)
	f.flushIfFull()
}

func (f *fingerprinter) service(s *Service) {
	f.text(s.Name)
	f.text(s.Owner)
	f.text(s.Verification)
	f.text(s.PrivateName)
	f.strs(s.PrivateNames)
	f.flushIfFull()
}

func (f *fingerprinter) subnet(s *Subnet) {
	f.text(s.VPC)
	f.text(s.AZ)
	f.text(s.AZID)
	f.text(s.CIDR)
	f.strs(s.IPv6CIDRs)
	f.flushIfFull()
}

func (f *fingerprinter) association(a *Association) {
	f.text(a.ID)
	f.text(a.EndpointID)
	f.text(a.Accessibility)
	f.text(a.DNSName)
	f.text(a.PrivateDNSName)
	f.flushIfFull()
}

func (f *fingerprinter) list(n int)  { f.buf = binary.AppendUvarint(f.buf, uint64(n)) }
func (f *fingerprinter) byte(b byte) { f.buf = append(f.buf, b) }

// text writes a string, length first.
func (f *fingerprinter) text(s string) {
	f.list(len(s))
	f.buf = append(f.buf, s...)
}

func (f *fingerprinter) strs(l []string) {
	f.list(len(l))
	for _, s := range l {
		f.text(s)
	}
}

func (f *fingerprinter) flag(b bool) {
	if b {
		f.byte(1)
	} else {
		f.byte(0)
	}
}

func (f *fingerprinter) time(present bool, t time.Time) {
	if !present {
		f.byte(0)
		return
	}
	f.byte(1)
	f.buf = binary.AppendVarint(f.buf, t.Unix())
	f.buf = binary.AppendUvarint(f.buf, uint64(t.Nanosecond()))
}

func (f *fingerprinter) flushIfFull() {
	if len(f.buf) >= flushAt {
		f.flush()
	}
}

func (f *fingerprinter) flush() {
	f.h.Write(f.buf)
	f.buf = f.buf[:0]
}
