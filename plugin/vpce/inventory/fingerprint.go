package inventory

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Fingerprint identifies what the index builder reads of an inventory, so that an unchanged
// account costs no rebuild and no cache file write. Only the fields the core's build.go reads
// go in (not policy documents, tags, owners...): hashing them costs a fraction of encoding the
// whole inventory, and a change nothing is built from is no change. A field that build.go
// starts reading must be added here and to builderReads in fingerprint_test.go, which checks
// that exactly those fields count.
func Fingerprint(inv *Inventory) [sha256.Size]byte {
	f := fingerprinter{h: sha256.New(), buf: make([]byte, 0, 2*flushAt)}
	f.list(len(inv.VpcEndpoints))
	for i := range inv.VpcEndpoints {
		f.endpoint(&inv.VpcEndpoints[i])
	}
	f.list(len(inv.NetworkInterfaces))
	for i := range inv.NetworkInterfaces {
		f.networkInterface(&inv.NetworkInterfaces[i])
	}
	f.list(len(inv.ServiceDetails))
	for i := range inv.ServiceDetails {
		f.service(&inv.ServiceDetails[i])
	}
	f.list(len(inv.Subnets))
	for i := range inv.Subnets {
		f.subnet(&inv.Subnets[i])
	}
	f.list(len(inv.VpcEndpointAssociations))
	for i := range inv.VpcEndpointAssociations {
		f.association(&inv.VpcEndpointAssociations[i])
	}
	f.flush()
	var sum [sha256.Size]byte
	f.h.Sum(sum[:0])
	return sum
}

// fingerprinter writes fields to a sha256, through a buffer so that the hash sees few large
// writes. Every value is length-prefixed, so that no two inventories encode alike, but for an
// absent string, bool or endpoint's DNS options, which count as their zero value: the builder
// does not tell them apart, and neither does what a Compact keeps.
type fingerprinter struct {
	h   hash.Hash
	buf []byte
}

const flushAt = 4096

func (f *fingerprinter) endpoint(ep *types.VpcEndpoint) {
	f.str(ep.VpcEndpointId)
	f.enum(string(ep.VpcEndpointType))
	f.enum(string(ep.State))
	f.str(ep.VpcId)
	f.str(ep.ServiceName)
	f.str(ep.ServiceRegion) // the region label of the metrics
	f.enum(string(ep.IpAddressType))
	var o types.DnsOptions
	if ep.DnsOptions != nil {
		o = *ep.DnsOptions
	}
	f.enum(string(o.DnsRecordIpType))
	f.bool(o.PrivateDnsOnlyForInboundResolverEndpoint)
	f.bool(ep.PrivateDnsEnabled)
	f.list(len(ep.DnsEntries))
	for _, e := range ep.DnsEntries {
		f.str(e.DnsName)
	}
	f.list(len(ep.NetworkInterfaceIds))
	for _, id := range ep.NetworkInterfaceIds {
		f.enum(id)
	}
	f.time(ep.CreationTimestamp) // the order of conflicting claims
	// The region label of a Resource or ServiceNetwork endpoint, which has no service name.
	f.str(ep.ResourceConfigurationArn)
	f.str(ep.ServiceNetworkArn)
	f.flushIfFull()
}

func (f *fingerprinter) networkInterface(ni *types.NetworkInterface) {
	f.str(ni.NetworkInterfaceId)
	f.str(ni.AvailabilityZone)
	f.str(ni.AvailabilityZoneId)
	f.str(ni.PrivateIpAddress)
	f.list(len(ni.PrivateIpAddresses))
	for _, p := range ni.PrivateIpAddresses {
		f.str(p.PrivateIpAddress)
	}
	f.str(ni.Ipv6Address)
	f.list(len(ni.Ipv6Addresses))
	for _, p := range ni.Ipv6Addresses {
		f.str(p.Ipv6Address)
	}
	f.flushIfFull()
}

func (f *fingerprinter) service(sd *types.ServiceDetail) {
	f.str(sd.ServiceName)
	f.str(sd.Owner)
	f.enum(string(sd.PrivateDnsNameVerificationState))
	f.str(sd.PrivateDnsName)
	f.list(len(sd.PrivateDnsNames))
	for _, d := range sd.PrivateDnsNames {
		f.str(d.PrivateDnsName)
	}
	f.flushIfFull()
}

func (f *fingerprinter) subnet(sn *types.Subnet) {
	f.str(sn.VpcId)
	f.str(sn.AvailabilityZone)
	f.str(sn.AvailabilityZoneId)
	f.str(sn.CidrBlock)
	f.list(len(sn.Ipv6CidrBlockAssociationSet))
	for _, a := range sn.Ipv6CidrBlockAssociationSet {
		f.str(a.Ipv6CidrBlock)
	}
	f.flushIfFull()
}

func (f *fingerprinter) association(a *types.VpcEndpointAssociation) {
	f.str(a.Id)
	f.str(a.VpcEndpointId)
	f.str(a.AssociatedResourceAccessibility)
	f.dnsEntry(a.DnsEntry)
	f.dnsEntry(a.PrivateDnsEntry)
	f.flushIfFull()
}

func (f *fingerprinter) dnsEntry(e *types.DnsEntry) {
	if e == nil {
		f.byte(0)
		return
	}
	f.byte(1)
	f.str(e.DnsName)
}

func (f *fingerprinter) list(n int)  { f.buf = binary.AppendUvarint(f.buf, uint64(n)) }
func (f *fingerprinter) byte(b byte) { f.buf = append(f.buf, b) }

func (f *fingerprinter) enum(s string) {
	f.list(len(s))
	f.buf = append(f.buf, s...)
}

func (f *fingerprinter) str(s *string) { f.enum(deref(s)) }

func (f *fingerprinter) bool(b *bool) {
	if b != nil && *b {
		f.byte(1)
	} else {
		f.byte(0)
	}
}

func (f *fingerprinter) time(t *time.Time) {
	if t == nil {
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
