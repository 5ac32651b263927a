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
// once. Nothing of the SDK's objects is referenced, so that they are freed whole once
// compacted: strings left among their freed objects would keep their memory pages. Its types
// are its own, so that the core and the index know nothing of the SDK. Nothing changes a
// Compact once made.
type Compact struct {
	Endpoints    []Endpoint
	Interfaces   []Interface
	Services     []Service
	Subnets      []Subnet
	Associations []Association
}

// Endpoint is what is kept of a types.VpcEndpoint. An absent string, bool or DNS options are
// kept as their zero value, which the builder and Fingerprint do not tell apart.
type Endpoint struct {
	ID, Type, State, VPC, Service, ServiceRegion string
	IPAddressType                                string       // IpAddressType
	RecordIPType                                 RecordIPType // DnsOptions.DnsRecordIpType
	PrivateDNS, InboundOnly                      bool         // PrivateDnsEnabled, DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint
	Dated                                        bool         // whether CreationTimestamp is present (Created)
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

// Service is what is kept of a types.ServiceDetail: the private DNS names of the service, which
// its hub endpoints serve.
type Service struct {
	Name, Owner  string   // ServiceName, Owner
	Verification string   // PrivateDnsNameVerificationState
	PrivateName  string   // PrivateDnsName
	PrivateNames []string // PrivateDnsNames
}

// Subnet is what is kept of a types.Subnet: where its clients are.
type Subnet struct {
	VPC, AZ, AZID string
	CIDR          string   // CidrBlock
	IPv6CIDRs     []string // Ipv6CidrBlockAssociationSet
}

// Association is what is kept of a types.VpcEndpointAssociation: a Resource or ServiceNetwork
// endpoint's names. An absent DNS entry is kept as an empty name, which the builder does not
// tell apart.
type Association struct {
	ID, EndpointID string // Id, VpcEndpointId
	Accessibility  string // AssociatedResourceAccessibility
	DNSName        string // DnsEntry: the default name, under on.aws
	PrivateDNSName string // PrivateDnsEntry: the custom name
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
	keepEach(k.a, eps, (*arena).endpoint, &k.Endpoints)
}

// AddInterfaces keeps what a Compact keeps of nis.
func (k *Compactor) AddInterfaces(nis []types.NetworkInterface) {
	keepEach(k.a, nis, (*arena).networkInterface, &k.Interfaces)
}

// AddKept adds an interface of another Compact, copied: the other's memory is not held.
func (k *Compactor) AddKept(ni *Interface) {
	n := Interface{ID: k.a.str(ni.ID), AZ: k.a.shared(ni.AZ), AZID: k.a.shared(ni.AZID)}
	n.PrivateIP, n.PrivateIPs = k.a.strAndList(ni.PrivateIP, len(ni.PrivateIPs), func(i int) string { return ni.PrivateIPs[i] })
	n.IPv6, n.IPv6s = k.a.strAndList(ni.IPv6, len(ni.IPv6s), func(i int) string { return ni.IPv6s[i] })
	k.Interfaces = append(k.Interfaces, n)
}

// AddServices keeps what a Compact keeps of sds.
func (k *Compactor) AddServices(sds []types.ServiceDetail) {
	keepEach(k.a, sds, (*arena).service, &k.Services)
}

// AddSubnets keeps what a Compact keeps of sns.
func (k *Compactor) AddSubnets(sns []types.Subnet) {
	keepEach(k.a, sns, (*arena).subnet, &k.Subnets)
}

// AddAssociations keeps what a Compact keeps of as.
func (k *Compactor) AddAssociations(as []types.VpcEndpointAssociation) {
	keepEach(k.a, as, (*arena).association, &k.Associations)
}

// keepEach appends what keep keeps of each element of list to out, copied into a.
func keepEach[T, K any](a *arena, list []T, keep func(*arena, *T) K, out *[]K) {
	*out = slices.Grow(*out, len(list))
	for i := range list {
		*out = append(*out, keep(a, &list[i]))
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
	return &Inventory{
		VpcEndpoints:            expandEach(c.Endpoints, (*Endpoint).expand),
		NetworkInterfaces:       expandEach(c.Interfaces, (*Interface).expand),
		ServiceDetails:          expandEach(c.Services, (*Service).expand),
		Subnets:                 expandEach(c.Subnets, (*Subnet).expand),
		VpcEndpointAssociations: expandEach(c.Associations, (*Association).expand),
	}
}

// expandEach returns the SDK's form of each element of list; nil for none.
func expandEach[K, T any](list []K, expand func(*K) T) []T {
	if len(list) == 0 {
		return nil
	}
	out := make([]T, len(list))
	for i := range list {
		out[i] = expand(&list[i])
	}
	return out
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
		e.RecordIPType = RecordIPType(a.shared(string(o.DnsRecordIpType)))
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
	ep.DnsEntries = expandEach(e.DNSNames, func(name *string) types.DnsEntry { return types.DnsEntry{DnsName: ref(name)} })
	return ep
}

func (a *arena) networkInterface(ni *types.NetworkInterface) Interface {
	n := Interface{ID: a.str(deref(ni.NetworkInterfaceId)), AZ: a.shared(deref(ni.AvailabilityZone)), AZID: a.shared(deref(ni.AvailabilityZoneId))}
	n.PrivateIP, n.PrivateIPs = a.strAndList(deref(ni.PrivateIpAddress), len(ni.PrivateIpAddresses),
		func(k int) string { return deref(ni.PrivateIpAddresses[k].PrivateIpAddress) })
	n.IPv6, n.IPv6s = a.strAndList(deref(ni.Ipv6Address), len(ni.Ipv6Addresses),
		func(k int) string { return deref(ni.Ipv6Addresses[k].Ipv6Address) })
	return n
}

// strAndList copies a primary value (an interface's address, a service's private name) and a
// list of n values (the k-th is at(k)) in which the primary one is listed again: that one is
// copied once.
func (a *arena) strAndList(primary string, n int, at func(k int) string) (string, []string) {
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
	return types.NetworkInterface{
		NetworkInterfaceId: ref(&n.ID),
		AvailabilityZone:   ref(&n.AZ),
		AvailabilityZoneId: ref(&n.AZID),
		PrivateIpAddress:   ref(&n.PrivateIP),
		PrivateIpAddresses: expandEach(n.PrivateIPs, func(ip *string) types.NetworkInterfacePrivateIpAddress {
			return types.NetworkInterfacePrivateIpAddress{PrivateIpAddress: ref(ip)}
		}),
		Ipv6Address: ref(&n.IPv6),
		Ipv6Addresses: expandEach(n.IPv6s, func(ip *string) types.NetworkInterfaceIpv6Address {
			return types.NetworkInterfaceIpv6Address{Ipv6Address: ref(ip)}
		}),
	}
}

func (a *arena) service(sd *types.ServiceDetail) Service {
	s := Service{
		Name:         a.shared(deref(sd.ServiceName)), // its endpoints' ServiceName
		Owner:        a.shared(deref(sd.Owner)),
		Verification: a.shared(string(sd.PrivateDnsNameVerificationState)),
	}
	s.PrivateName, s.PrivateNames = a.strAndList(deref(sd.PrivateDnsName), len(sd.PrivateDnsNames),
		func(k int) string { return deref(sd.PrivateDnsNames[k].PrivateDnsName) })
	return s
}

// expand returns the SDK's form of s, with only the fields s keeps.
func (s *Service) expand() types.ServiceDetail {
	return types.ServiceDetail{
		ServiceName:                     ref(&s.Name),
		Owner:                           ref(&s.Owner),
		PrivateDnsNameVerificationState: types.DnsNameState(s.Verification),
		PrivateDnsName:                  ref(&s.PrivateName),
		PrivateDnsNames: expandEach(s.PrivateNames, func(name *string) types.PrivateDnsDetails {
			return types.PrivateDnsDetails{PrivateDnsName: ref(name)}
		}),
	}
}

func (a *arena) subnet(sn *types.Subnet) Subnet {
	s := Subnet{
		VPC:       a.shared(deref(sn.VpcId)),
		AZ:        a.shared(deref(sn.AvailabilityZone)),
		AZID:      a.shared(deref(sn.AvailabilityZoneId)),
		CIDR:      a.str(deref(sn.CidrBlock)),
		IPv6CIDRs: a.strs(len(sn.Ipv6CidrBlockAssociationSet)),
	}
	for k, as := range sn.Ipv6CidrBlockAssociationSet {
		s.IPv6CIDRs[k] = a.str(deref(as.Ipv6CidrBlock))
	}
	return s
}

// expand returns the SDK's form of s, with only the fields s keeps.
func (s *Subnet) expand() types.Subnet {
	return types.Subnet{
		VpcId:              ref(&s.VPC),
		AvailabilityZone:   ref(&s.AZ),
		AvailabilityZoneId: ref(&s.AZID),
		CidrBlock:          ref(&s.CIDR),
		Ipv6CidrBlockAssociationSet: expandEach(s.IPv6CIDRs, func(cidr *string) types.SubnetIpv6CidrBlockAssociation {
			return types.SubnetIpv6CidrBlockAssociation{Ipv6CidrBlock: ref(cidr)}
		}),
	}
}

func (a *arena) association(as *types.VpcEndpointAssociation) Association {
	return Association{
		ID:             a.str(deref(as.Id)),
		EndpointID:     a.str(deref(as.VpcEndpointId)),
		Accessibility:  a.shared(deref(as.AssociatedResourceAccessibility)),
		DNSName:        a.str(entryName(as.DnsEntry)),
		PrivateDNSName: a.str(entryName(as.PrivateDnsEntry)),
	}
}

func entryName(e *types.DnsEntry) string {
	if e == nil {
		return ""
	}
	return deref(e.DnsName)
}

// expand returns the SDK's form of as, with only the fields as keeps.
func (as *Association) expand() types.VpcEndpointAssociation {
	return types.VpcEndpointAssociation{
		Id:                              ref(&as.ID),
		VpcEndpointId:                   ref(&as.EndpointID),
		AssociatedResourceAccessibility: ref(&as.Accessibility),
		DnsEntry:                        entry(&as.DNSName),
		PrivateDnsEntry:                 entry(&as.PrivateDNSName),
	}
}

// entry is a DNS entry of the name, nil for none.
func entry(name *string) *types.DnsEntry {
	if *name == "" {
		return nil
	}
	return &types.DnsEntry{DnsName: name}
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
