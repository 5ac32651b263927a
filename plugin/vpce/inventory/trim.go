package inventory

import (
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Trim returns a copy of inv with only what the index builder reads (the fields Fingerprint
// covers) and the endpoints' SubnetIds (which a partial listing compares). What a source or
// the core keeps after a build is trimmed: policy documents, tags, security groups and the
// interfaces' many other fields would otherwise stay in memory for as long as the view serves.
func Trim(inv *Inventory) *Inventory {
	t := &Inventory{
		VpcEndpoints:      make([]types.VpcEndpoint, len(inv.VpcEndpoints)),
		NetworkInterfaces: make([]types.NetworkInterface, len(inv.NetworkInterfaces)),
		ServiceDetails:    make([]types.ServiceDetail, len(inv.ServiceDetails)),
		Subnets:           make([]types.Subnet, len(inv.Subnets)),
	}
	if inv.VpcEndpointAssociations != nil {
		t.VpcEndpointAssociations = make([]types.VpcEndpointAssociation, len(inv.VpcEndpointAssociations))
	}
	for i := range inv.VpcEndpointAssociations {
		a := &inv.VpcEndpointAssociations[i]
		t.VpcEndpointAssociations[i] = types.VpcEndpointAssociation{
			Id:                              a.Id,
			VpcEndpointId:                   a.VpcEndpointId,
			AssociatedResourceAccessibility: a.AssociatedResourceAccessibility,
			DnsEntry:                        trimDNSEntry(a.DnsEntry),
			PrivateDnsEntry:                 trimDNSEntry(a.PrivateDnsEntry),
		}
	}
	for i := range inv.VpcEndpoints {
		t.VpcEndpoints[i] = trimEndpoint(&inv.VpcEndpoints[i])
	}
	for i := range inv.NetworkInterfaces {
		t.NetworkInterfaces[i] = trimInterface(&inv.NetworkInterfaces[i])
	}
	for i := range inv.ServiceDetails {
		sd := &inv.ServiceDetails[i]
		t.ServiceDetails[i] = types.ServiceDetail{
			ServiceName:                     sd.ServiceName,
			Owner:                           sd.Owner,
			PrivateDnsNameVerificationState: sd.PrivateDnsNameVerificationState,
			PrivateDnsName:                  sd.PrivateDnsName,
			PrivateDnsNames:                 sd.PrivateDnsNames,
		}
	}
	for i := range inv.Subnets {
		sn := &inv.Subnets[i]
		s := types.Subnet{VpcId: sn.VpcId, AvailabilityZone: sn.AvailabilityZone, AvailabilityZoneId: sn.AvailabilityZoneId, CidrBlock: sn.CidrBlock}
		for _, a := range sn.Ipv6CidrBlockAssociationSet {
			s.Ipv6CidrBlockAssociationSet = append(s.Ipv6CidrBlockAssociationSet, types.SubnetIpv6CidrBlockAssociation{Ipv6CidrBlock: a.Ipv6CidrBlock})
		}
		t.Subnets[i] = s
	}
	return t
}

func trimEndpoint(ep *types.VpcEndpoint) types.VpcEndpoint {
	e := types.VpcEndpoint{
		VpcEndpointId:       ep.VpcEndpointId,
		VpcEndpointType:     ep.VpcEndpointType,
		State:               ep.State,
		VpcId:               ep.VpcId,
		ServiceName:         ep.ServiceName,
		ServiceRegion:       ep.ServiceRegion,
		IpAddressType:       ep.IpAddressType,
		PrivateDnsEnabled:   ep.PrivateDnsEnabled,
		NetworkInterfaceIds: ep.NetworkInterfaceIds,
		SubnetIds:           ep.SubnetIds,
		CreationTimestamp:   ep.CreationTimestamp,
		// The region of a Resource or ServiceNetwork endpoint, for metrics.
		ResourceConfigurationArn: ep.ResourceConfigurationArn,
		ServiceNetworkArn:        ep.ServiceNetworkArn,
	}
	if o := ep.DnsOptions; o != nil {
		e.DnsOptions = &types.DnsOptions{DnsRecordIpType: o.DnsRecordIpType, PrivateDnsOnlyForInboundResolverEndpoint: o.PrivateDnsOnlyForInboundResolverEndpoint}
	}
	if ep.DnsEntries != nil {
		e.DnsEntries = make([]types.DnsEntry, len(ep.DnsEntries))
		for k, d := range ep.DnsEntries {
			e.DnsEntries[k] = types.DnsEntry{DnsName: d.DnsName}
		}
	}
	return e
}

func trimInterface(ni *types.NetworkInterface) types.NetworkInterface {
	n := types.NetworkInterface{
		NetworkInterfaceId: ni.NetworkInterfaceId,
		AvailabilityZone:   ni.AvailabilityZone,
		AvailabilityZoneId: ni.AvailabilityZoneId,
		PrivateIpAddress:   ni.PrivateIpAddress,
		Ipv6Address:        ni.Ipv6Address,
	}
	if ni.PrivateIpAddresses != nil {
		n.PrivateIpAddresses = make([]types.NetworkInterfacePrivateIpAddress, len(ni.PrivateIpAddresses))
		for k, p := range ni.PrivateIpAddresses {
			n.PrivateIpAddresses[k] = types.NetworkInterfacePrivateIpAddress{PrivateIpAddress: p.PrivateIpAddress}
		}
	}
	if ni.Ipv6Addresses != nil {
		n.Ipv6Addresses = make([]types.NetworkInterfaceIpv6Address, len(ni.Ipv6Addresses))
		for k, p := range ni.Ipv6Addresses {
			n.Ipv6Addresses[k] = types.NetworkInterfaceIpv6Address{Ipv6Address: p.Ipv6Address}
		}
	}
	return n
}

func trimDNSEntry(e *types.DnsEntry) *types.DnsEntry {
	if e == nil {
		return nil
	}
	return &types.DnsEntry{DnsName: e.DnsName}
}
