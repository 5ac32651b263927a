package inventory

import (
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Compact is what the index builder reads of an inventory (the fields Fingerprint covers),
// with the endpoints' SubnetIds (which a partial listing compares), in a fraction of the SDK
// types' memory: what every source hands over, what the index is built from, and what a
// source or the core keeps between builds. An SDK endpoint or interface is a struct of some
// 400 bytes of pointers, each field a separate allocation; here it is a few strings, copied
// into large blocks (arena), the repeated ones (types, states, VPCs, services, zones, subnets)
// once. Nothing of the SDK's endpoints and interfaces is referenced, so that they are freed
// whole once compacted: strings left among their freed objects would keep their memory pages.
// Nothing changes a Compact once made.
type Compact struct {
	Endpoints  []Endpoint
	Interfaces []Interface
	// Services, subnets and associations are few: they keep their SDK types (trimmed to what
	// the builder reads when they come through the Compactor).
	Services     []types.ServiceDetail
	Subnets      []types.Subnet
	Associations []types.VpcEndpointAssociation
}

// Endpoint is what is kept of a types.VpcEndpoint. An absent string, bool or DNS options are
// kept as their zero value, which the builder and Fingerprint do not tell apart.
type Endpoint struct {
	ID, Type, State, VPC, Service, ServiceRegion string
	IPAddressType, RecordIPType                  string // IpAddressType, DnsOptions.DnsRecordIpType
	PrivateDNS, InboundOnly                      bool   // PrivateDnsEnabled, DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint
	Dated                                        bool   // whether CreationTimestamp is present (Created)
	Interfaces, Subnets                          []string
	DNSNames                                     []string
	Created                                      time.Time // CreationTimestamp, in UTC
	// The region of a Resource or ServiceNetwork endpoint, for metrics.
	ResourceConfigurationARN, ServiceNetworkARN string
}

// Interface is what is kept of a types.NetworkInterface.
type Interface struct {
	ID, AZ, AZID string
	PrivateIP    string   // PrivateIpAddress
	PrivateIPs   []string // PrivateIpAddresses
	IPv6         string   // Ipv6Address
	IPv6s        []string // Ipv6Addresses
}

// NewCompact returns what is kept of inv.
func NewCompact(inv *Inventory) *Compact {
	k := NewCompactor()
	k.AddEndpoints(inv.VpcEndpoints)
	k.AddInterfaces(inv.NetworkInterfaces)
	k.AddServices(inv.ServiceDetails)
	k.AddSubnets(inv.Subnets)
	k.AddAssociations(inv.VpcEndpointAssociations)
	return k.Compact
}

// Compactor makes a Compact a part at a time: the EC2 API source compacts each page of a
// listing as it arrives, so that a whole listing is never held in the SDK's types.
type Compactor struct {
	*Compact // what is made so far; nothing changes it once the Compactor is done with
	a        *arena
}

// NewCompactor returns an empty Compactor.
func NewCompactor() *Compactor { return &Compactor{Compact: &Compact{}, a: newArena()} }

// AddEndpoints keeps what a Compact keeps of eps.
func (k *Compactor) AddEndpoints(eps []types.VpcEndpoint) {
	k.Endpoints = slices.Grow(k.Endpoints, len(eps))
	for i := range eps {
		k.Endpoints = append(k.Endpoints, k.a.endpoint(&eps[i]))
	}
}

// AddInterfaces keeps what a Compact keeps of nis.
func (k *Compactor) AddInterfaces(nis []types.NetworkInterface) {
	k.Interfaces = slices.Grow(k.Interfaces, len(nis))
	for i := range nis {
		k.Interfaces = append(k.Interfaces, k.a.networkInterface(&nis[i]))
	}
}

// AddKept adds an interface of another Compact, copied: the other's memory is not held.
func (k *Compactor) AddKept(ni *Interface) {
	n := Interface{ID: k.a.str(ni.ID), AZ: k.a.shared(ni.AZ), AZID: k.a.shared(ni.AZID)}
	n.PrivateIP, n.PrivateIPs = k.a.addrs(ni.PrivateIP, len(ni.PrivateIPs), func(i int) string { return ni.PrivateIPs[i] })
	n.IPv6, n.IPv6s = k.a.addrs(ni.IPv6, len(ni.IPv6s), func(i int) string { return ni.IPv6s[i] })
	k.Interfaces = append(k.Interfaces, n)
}

// AddServices keeps what a Compact keeps of sds.
func (k *Compactor) AddServices(sds []types.ServiceDetail) {
	for i := range sds {
		k.Services = append(k.Services, k.a.service(&sds[i]))
	}
}

// AddSubnets keeps what a Compact keeps of sns.
func (k *Compactor) AddSubnets(sns []types.Subnet) {
	for i := range sns {
		k.Subnets = append(k.Subnets, k.a.subnet(&sns[i]))
	}
}

// AddAssociations keeps what a Compact keeps of as.
func (k *Compactor) AddAssociations(as []types.VpcEndpointAssociation) {
	if as != nil && k.Associations == nil {
		k.Associations = make([]types.VpcEndpointAssociation, 0, len(as))
	}
	for i := range as {
		k.Associations = append(k.Associations, k.a.association(&as[i]))
	}
}

// MergeCompact returns the parts' contents in one, in order. A single part is returned as it is.
func MergeCompact(parts ...*Compact) *Compact {
	return merge(parts, func(all, p *Compact) {
		all.Endpoints = append(all.Endpoints, p.Endpoints...)
		all.Interfaces = append(all.Interfaces, p.Interfaces...)
		all.Services = append(all.Services, p.Services...)
		all.Subnets = append(all.Subnets, p.Subnets...)
		all.Associations = append(all.Associations, p.Associations...)
	})
}

// Inventory returns the inventory c was made from, with only the fields c keeps: what the
// builder reads of it is the same, and so is its Fingerprint.
func (c *Compact) Inventory() *Inventory {
	inv := &Inventory{
		VpcEndpoints:            make([]types.VpcEndpoint, len(c.Endpoints)),
		NetworkInterfaces:       make([]types.NetworkInterface, len(c.Interfaces)),
		ServiceDetails:          c.Services,
		Subnets:                 c.Subnets,
		VpcEndpointAssociations: c.Associations,
	}
	for i := range c.Endpoints {
		inv.VpcEndpoints[i] = c.Endpoints[i].expand()
	}
	for i := range c.Interfaces {
		inv.NetworkInterfaces[i] = c.Interfaces[i].expand()
	}
	return inv
}

func (a *arena) endpoint(ep *types.VpcEndpoint) Endpoint {
	e := Endpoint{
		ID:                       a.str(deref(ep.VpcEndpointId)),
		Type:                     a.shared(string(ep.VpcEndpointType)),
		State:                    a.shared(string(ep.State)),
		VPC:                      a.shared(deref(ep.VpcId)),
		Service:                  a.shared(deref(ep.ServiceName)),
		ServiceRegion:            a.shared(deref(ep.ServiceRegion)),
		IPAddressType:            a.shared(string(ep.IpAddressType)),
		PrivateDNS:               ep.PrivateDnsEnabled != nil && *ep.PrivateDnsEnabled,
		Interfaces:               a.strs(len(ep.NetworkInterfaceIds)),
		Subnets:                  a.strs(len(ep.SubnetIds)),
		DNSNames:                 a.strs(len(ep.DnsEntries)),
		ResourceConfigurationARN: a.str(deref(ep.ResourceConfigurationArn)),
		ServiceNetworkARN:        a.str(deref(ep.ServiceNetworkArn)),
	}
	for k, id := range ep.NetworkInterfaceIds {
		e.Interfaces[k] = a.str(id)
	}
	for k, id := range ep.SubnetIds {
		e.Subnets[k] = a.shared(id)
	}
	for k, d := range ep.DnsEntries {
		e.DNSNames[k] = a.str(deref(d.DnsName))
	}
	if t := ep.CreationTimestamp; t != nil {
		e.Created, e.Dated = t.UTC(), true
	}
	if o := ep.DnsOptions; o != nil {
		e.RecordIPType = a.shared(string(o.DnsRecordIpType))
		e.InboundOnly = o.PrivateDnsOnlyForInboundResolverEndpoint != nil && *o.PrivateDnsOnlyForInboundResolverEndpoint
	}
	return e
}

// expand returns the SDK's form of e, with only the fields e keeps.
func (e *Endpoint) expand() types.VpcEndpoint {
	ep := types.VpcEndpoint{
		VpcEndpointId:            ref(&e.ID),
		VpcEndpointType:          types.VpcEndpointType(e.Type),
		State:                    types.State(e.State),
		VpcId:                    ref(&e.VPC),
		ServiceName:              ref(&e.Service),
		ServiceRegion:            ref(&e.ServiceRegion),
		IpAddressType:            types.IpAddressType(e.IPAddressType),
		NetworkInterfaceIds:      e.Interfaces,
		SubnetIds:                e.Subnets,
		ResourceConfigurationArn: ref(&e.ResourceConfigurationARN),
		ServiceNetworkArn:        ref(&e.ServiceNetworkARN),
	}
	if e.Dated {
		ep.CreationTimestamp = &e.Created
	}
	if e.PrivateDNS {
		ep.PrivateDnsEnabled = &e.PrivateDNS
	}
	if e.RecordIPType != "" || e.InboundOnly {
		ep.DnsOptions = &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpType(e.RecordIPType)}
		if e.InboundOnly {
			ep.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint = &e.InboundOnly
		}
	}
	if e.DNSNames != nil {
		ep.DnsEntries = make([]types.DnsEntry, len(e.DNSNames))
		for k := range e.DNSNames {
			ep.DnsEntries[k] = types.DnsEntry{DnsName: ref(&e.DNSNames[k])}
		}
	}
	return ep
}

func (a *arena) networkInterface(ni *types.NetworkInterface) Interface {
	n := Interface{ID: a.str(deref(ni.NetworkInterfaceId)), AZ: a.shared(deref(ni.AvailabilityZone)), AZID: a.shared(deref(ni.AvailabilityZoneId))}
	n.PrivateIP, n.PrivateIPs = a.addrs(deref(ni.PrivateIpAddress), len(ni.PrivateIpAddresses),
		func(k int) string { return deref(ni.PrivateIpAddresses[k].PrivateIpAddress) })
	n.IPv6, n.IPv6s = a.addrs(deref(ni.Ipv6Address), len(ni.Ipv6Addresses),
		func(k int) string { return deref(ni.Ipv6Addresses[k].Ipv6Address) })
	return n
}

// addrs copies an interface's primary address and its list of n addresses (the k-th is at(k)),
// in which the primary one is listed again: that one is copied once.
func (a *arena) addrs(primary string, n int, at func(k int) string) (string, []string) {
	primary = a.str(primary)
	list := a.strs(n)
	for k := range list {
		if ip := at(k); ip == primary {
			list[k] = primary
		} else {
			list[k] = a.str(ip)
		}
	}
	return primary, list
}

// expand returns the SDK's form of n, with only the fields n keeps.
func (n *Interface) expand() types.NetworkInterface {
	ni := types.NetworkInterface{
		NetworkInterfaceId: ref(&n.ID),
		AvailabilityZone:   ref(&n.AZ),
		AvailabilityZoneId: ref(&n.AZID),
		PrivateIpAddress:   ref(&n.PrivateIP),
		Ipv6Address:        ref(&n.IPv6),
	}
	if n.PrivateIPs != nil {
		ni.PrivateIpAddresses = make([]types.NetworkInterfacePrivateIpAddress, len(n.PrivateIPs))
		for k := range n.PrivateIPs {
			ni.PrivateIpAddresses[k] = types.NetworkInterfacePrivateIpAddress{PrivateIpAddress: ref(&n.PrivateIPs[k])}
		}
	}
	if n.IPv6s != nil {
		ni.Ipv6Addresses = make([]types.NetworkInterfaceIpv6Address, len(n.IPv6s))
		for k := range n.IPv6s {
			ni.Ipv6Addresses[k] = types.NetworkInterfaceIpv6Address{Ipv6Address: ref(&n.IPv6s[k])}
		}
	}
	return ni
}

// service, subnet and association keep the SDK's types, trimmed: they are few.
func (*arena) service(sd *types.ServiceDetail) types.ServiceDetail {
	return types.ServiceDetail{
		ServiceName:                     sd.ServiceName,
		Owner:                           sd.Owner,
		PrivateDnsNameVerificationState: sd.PrivateDnsNameVerificationState,
		PrivateDnsName:                  sd.PrivateDnsName,
		PrivateDnsNames:                 sd.PrivateDnsNames,
	}
}

func (*arena) subnet(sn *types.Subnet) types.Subnet {
	s := types.Subnet{VpcId: sn.VpcId, AvailabilityZone: sn.AvailabilityZone, AvailabilityZoneId: sn.AvailabilityZoneId, CidrBlock: sn.CidrBlock}
	for _, a := range sn.Ipv6CidrBlockAssociationSet {
		s.Ipv6CidrBlockAssociationSet = append(s.Ipv6CidrBlockAssociationSet, types.SubnetIpv6CidrBlockAssociation{Ipv6CidrBlock: a.Ipv6CidrBlock})
	}
	return s
}

func (*arena) association(a *types.VpcEndpointAssociation) types.VpcEndpointAssociation {
	return types.VpcEndpointAssociation{
		Id:                              a.Id,
		VpcEndpointId:                   a.VpcEndpointId,
		AssociatedResourceAccessibility: a.AssociatedResourceAccessibility,
		DnsEntry:                        nameOnly(a.DnsEntry),
		PrivateDnsEntry:                 nameOnly(a.PrivateDnsEntry),
	}
}

func nameOnly(e *types.DnsEntry) *types.DnsEntry {
	if e == nil {
		return nil
	}
	return &types.DnsEntry{DnsName: e.DnsName}
}

// arena holds a Compact's strings and string lists in large blocks: a few allocations for an
// inventory instead of several per endpoint, and no object of the SDK's inventory kept.
type arena struct {
	block []byte            // the free space of the current block of string bytes
	table []string          // the free space of the current block of string lists
	once  map[string]string // the strings that repeat, by value: one copy of each
}

func newArena() *arena { return &arena{once: map[string]string{}} }

const (
	blockSize = 64 << 10 // bytes
	tableSize = 4 << 10  // strings
)

// str copies s into the arena. The bytes it takes are never written again, which is what
// unsafe.String asks.
func (a *arena) str(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > cap(a.block)-len(a.block) {
		if len(s) > blockSize/8 {
			return strings.Clone(s)
		}
		a.block = make([]byte, 0, blockSize)
	}
	start := len(a.block)
	a.block = append(a.block, s...)
	return unsafe.String(&a.block[start], len(s))
}

// shared is str for a string that repeats across the inventory: copied once.
func (a *arena) shared(s string) string {
	if v, ok := a.once[s]; ok {
		return v
	}
	v := a.str(s)
	a.once[v] = v
	return v
}

// strs returns a list of n strings to fill, nil for none.
func (a *arena) strs(n int) []string {
	if n == 0 {
		return nil
	}
	if n > cap(a.table)-len(a.table) {
		if n > tableSize/8 {
			return make([]string, n)
		}
		a.table = make([]string, 0, tableSize)
	}
	start := len(a.table)
	a.table = a.table[:start+n]
	return a.table[start : start+n : start+n]
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ref is s, nil for the empty string (an absent field). It points into the Compact, which
// nothing changes, so that an expanded inventory costs no allocation per field.
func ref(s *string) *string {
	if *s == "" {
		return nil
	}
	return s
}
