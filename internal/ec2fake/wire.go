package ec2fake

import (
	"bytes"
	"encoding/xml"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The types below mirror EC2's query-protocol XML: element names, nesting and
// order follow real responses, lists are wrapped in <item> elements, and nil
// SDK fields are omitted, so the SDK decodes exactly the values that were put.
// A nil slice is omitted while an empty one is sent as an empty set, which
// the SDK decodes back to an empty slice. Every response root is in EC2's
// 2016-11-15 namespace, as the samples show.

// list is an EC2 set: <fooSet><item>…</item></fooSet>.
type list[T any] struct {
	Items []T `xml:"item"`
}

// listOf keeps a nil slice nil, so that its element is omitted.
func listOf[T any](items []T) *list[T] {
	if items == nil {
		return nil
	}
	return &list[T]{Items: items}
}

// mapSlice converts each element, keeping nil as nil.
func mapSlice[S, T any](in []S, f func(S) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// enumList converts a list of SDK enum values to their wire strings.
func enumList[E ~string](in []E) *list[string] {
	return listOf(mapSlice(in, func(e E) string { return string(e) }))
}

// timestamp formats like EC2: RFC 3339 in UTC with milliseconds.
func timestamp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format("2006-01-02T15:04:05.000Z")
	return &s
}

type describeVpcEndpointsResponse struct {
	XMLName      xml.Name              `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeVpcEndpointsResponse"`
	RequestID    string                `xml:"requestId"`
	VpcEndpoints *list[vpcEndpointXML] `xml:"vpcEndpointSet"`
	NextToken    string                `xml:"nextToken,omitempty"`
}

type describeNetworkInterfacesResponse struct {
	XMLName           xml.Name                   `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeNetworkInterfacesResponse"`
	RequestID         string                     `xml:"requestId"`
	NetworkInterfaces *list[networkInterfaceXML] `xml:"networkInterfaceSet"`
	NextToken         string                     `xml:"nextToken,omitempty"`
}

type describeVpcEndpointServicesResponse struct {
	XMLName        xml.Name                `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeVpcEndpointServicesResponse"`
	RequestID      string                  `xml:"requestId"`
	ServiceNames   *list[string]           `xml:"serviceNameSet"`
	ServiceDetails *list[serviceDetailXML] `xml:"serviceDetailSet"`
	NextToken      string                  `xml:"nextToken,omitempty"`
}

type describeSubnetsResponse struct {
	XMLName   xml.Name         `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeSubnetsResponse"`
	RequestID string           `xml:"requestId"`
	Subnets   *list[subnetXML] `xml:"subnetSet"`
	NextToken string           `xml:"nextToken,omitempty"`
}

type describeVpcEndpointAssociationsResponse struct {
	XMLName      xml.Name              `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeVpcEndpointAssociationsResponse"`
	RequestID    string                `xml:"requestId"`
	Associations *list[associationXML] `xml:"vpcEndpointAssociationSet"`
	NextToken    string                `xml:"nextToken,omitempty"`
}

type tagXML struct {
	Key   *string `xml:"key"`
	Value *string `xml:"value"`
}

func toTagsXML(tags []types.Tag) *list[tagXML] {
	return listOf(mapSlice(tags, func(t types.Tag) tagXML { return tagXML{t.Key, t.Value} }))
}

type groupXML struct {
	GroupID   *string `xml:"groupId"`
	GroupName *string `xml:"groupName"`
}

type dnsOptionsXML struct {
	DnsRecordIpType                          string `xml:"dnsRecordIpType,omitempty"`
	PrivateDnsOnlyForInboundResolverEndpoint *bool  `xml:"privateDnsOnlyForInboundResolverEndpoint"`
}

type dnsEntryXML struct {
	DnsName      *string `xml:"dnsName"`
	HostedZoneID *string `xml:"hostedZoneId"`
}

type vpcEndpointXML struct {
	VpcEndpointID       *string            `xml:"vpcEndpointId"`
	VpcEndpointType     string             `xml:"vpcEndpointType,omitempty"`
	VpcID               *string            `xml:"vpcId"`
	ServiceName         *string            `xml:"serviceName"`
	State               string             `xml:"state,omitempty"`
	PolicyDocument      *string            `xml:"policyDocument"`
	RouteTableIDs       *list[string]      `xml:"routeTableIdSet"`
	SubnetIDs           *list[string]      `xml:"subnetIdSet"`
	Groups              *list[groupXML]    `xml:"groupSet"`
	IpAddressType       string             `xml:"ipAddressType,omitempty"`
	DnsOptions          *dnsOptionsXML     `xml:"dnsOptions"`
	PrivateDnsEnabled   *bool              `xml:"privateDnsEnabled"`
	RequesterManaged    *bool              `xml:"requesterManaged"`
	NetworkInterfaceIDs *list[string]      `xml:"networkInterfaceIdSet"`
	DnsEntries          *list[dnsEntryXML] `xml:"dnsEntrySet"`
	CreationTimestamp   *string            `xml:"creationTimestamp"`
	Tags                *list[tagXML]      `xml:"tagSet"`
	OwnerID             *string            `xml:"ownerId"`
	ResourceConfigArn   *string            `xml:"resourceConfigurationArn"`
	ServiceNetworkArn   *string            `xml:"serviceNetworkArn"`
}

func toVpcEndpointXML(ep types.VpcEndpoint) vpcEndpointXML {
	x := vpcEndpointXML{
		VpcEndpointID:   ep.VpcEndpointId,
		VpcEndpointType: string(ep.VpcEndpointType),
		VpcID:           ep.VpcId,
		ServiceName:     ep.ServiceName,
		State:           string(ep.State),
		PolicyDocument:  ep.PolicyDocument,
		RouteTableIDs:   listOf(ep.RouteTableIds),
		SubnetIDs:       listOf(ep.SubnetIds),
		Groups: listOf(mapSlice(ep.Groups, func(g types.SecurityGroupIdentifier) groupXML {
			return groupXML{g.GroupId, g.GroupName}
		})),
		IpAddressType:       string(ep.IpAddressType),
		PrivateDnsEnabled:   ep.PrivateDnsEnabled,
		RequesterManaged:    ep.RequesterManaged,
		NetworkInterfaceIDs: listOf(ep.NetworkInterfaceIds),
		DnsEntries: listOf(mapSlice(ep.DnsEntries, func(d types.DnsEntry) dnsEntryXML {
			return dnsEntryXML{d.DnsName, d.HostedZoneId}
		})),
		CreationTimestamp: timestamp(ep.CreationTimestamp),
		Tags:              toTagsXML(ep.Tags),
		OwnerID:           ep.OwnerId,
		ResourceConfigArn: ep.ResourceConfigurationArn,
		ServiceNetworkArn: ep.ServiceNetworkArn,
	}
	if o := ep.DnsOptions; o != nil {
		x.DnsOptions = &dnsOptionsXML{string(o.DnsRecordIpType), o.PrivateDnsOnlyForInboundResolverEndpoint}
	}
	return x
}

type associationXML struct {
	ID                              *string       `xml:"id"`
	VpcEndpointID                   *string       `xml:"vpcEndpointId"`
	ServiceNetworkArn               *string       `xml:"serviceNetworkArn"`
	ServiceNetworkName              *string       `xml:"serviceNetworkName"`
	AssociatedResourceAccessibility *string       `xml:"associatedResourceAccessibility"`
	FailureReason                   *string       `xml:"failureReason"`
	FailureCode                     *string       `xml:"failureCode"`
	DnsEntry                        *dnsEntryXML  `xml:"dnsEntry"`
	PrivateDnsEntry                 *dnsEntryXML  `xml:"privateDnsEntry"`
	AssociatedResourceArn           *string       `xml:"associatedResourceArn"`
	ResourceConfigurationGroupArn   *string       `xml:"resourceConfigurationGroupArn"`
	Tags                            *list[tagXML] `xml:"tagSet"`
}

func toAssociationXML(a types.VpcEndpointAssociation) associationXML {
	entry := func(d *types.DnsEntry) *dnsEntryXML {
		if d == nil {
			return nil
		}
		return &dnsEntryXML{d.DnsName, d.HostedZoneId}
	}
	return associationXML{
		ID: a.Id, VpcEndpointID: a.VpcEndpointId, ServiceNetworkArn: a.ServiceNetworkArn, ServiceNetworkName: a.ServiceNetworkName,
		AssociatedResourceAccessibility: a.AssociatedResourceAccessibility, FailureReason: a.FailureReason, FailureCode: a.FailureCode,
		DnsEntry: entry(a.DnsEntry), PrivateDnsEntry: entry(a.PrivateDnsEntry), AssociatedResourceArn: a.AssociatedResourceArn,
		ResourceConfigurationGroupArn: a.ResourceConfigurationGroupArn, Tags: toTagsXML(a.Tags),
	}
}

type privateIPXML struct {
	PrivateIPAddress *string `xml:"privateIpAddress"`
	PrivateDnsName   *string `xml:"privateDnsName"`
	Primary          *bool   `xml:"primary"`
}

type ipv6AddressXML struct {
	Ipv6Address   *string `xml:"ipv6Address"`
	IsPrimaryIpv6 *bool   `xml:"isPrimaryIpv6"`
}

type networkInterfaceXML struct {
	NetworkInterfaceID *string               `xml:"networkInterfaceId"`
	SubnetID           *string               `xml:"subnetId"`
	VpcID              *string               `xml:"vpcId"`
	AvailabilityZone   *string               `xml:"availabilityZone"`
	AvailabilityZoneID *string               `xml:"availabilityZoneId"`
	Description        *string               `xml:"description"`
	OwnerID            *string               `xml:"ownerId"`
	RequesterID        *string               `xml:"requesterId"`
	RequesterManaged   *bool                 `xml:"requesterManaged"`
	Status             string                `xml:"status,omitempty"`
	MacAddress         *string               `xml:"macAddress"`
	PrivateIPAddress   *string               `xml:"privateIpAddress"`
	PrivateDnsName     *string               `xml:"privateDnsName"`
	SourceDestCheck    *bool                 `xml:"sourceDestCheck"`
	Groups             *list[groupXML]       `xml:"groupSet"`
	Tags               *list[tagXML]         `xml:"tagSet"`
	PrivateIPAddresses *list[privateIPXML]   `xml:"privateIpAddressesSet"`
	Ipv6Addresses      *list[ipv6AddressXML] `xml:"ipv6AddressesSet"`
	Ipv6Address        *string               `xml:"ipv6Address"`
	InterfaceType      string                `xml:"interfaceType,omitempty"`
	DenyAllIgwTraffic  *bool                 `xml:"denyAllIgwTraffic"`
	Ipv6Native         *bool                 `xml:"ipv6Native"`
}

func toNetworkInterfaceXML(ni types.NetworkInterface) networkInterfaceXML {
	return networkInterfaceXML{
		NetworkInterfaceID: ni.NetworkInterfaceId,
		SubnetID:           ni.SubnetId,
		VpcID:              ni.VpcId,
		AvailabilityZone:   ni.AvailabilityZone,
		AvailabilityZoneID: ni.AvailabilityZoneId,
		Description:        ni.Description,
		OwnerID:            ni.OwnerId,
		RequesterID:        ni.RequesterId,
		RequesterManaged:   ni.RequesterManaged,
		Status:             string(ni.Status),
		MacAddress:         ni.MacAddress,
		PrivateIPAddress:   ni.PrivateIpAddress,
		PrivateDnsName:     ni.PrivateDnsName,
		SourceDestCheck:    ni.SourceDestCheck,
		Groups: listOf(mapSlice(ni.Groups, func(g types.GroupIdentifier) groupXML {
			return groupXML{g.GroupId, g.GroupName}
		})),
		Tags: toTagsXML(ni.TagSet),
		PrivateIPAddresses: listOf(mapSlice(ni.PrivateIpAddresses, func(a types.NetworkInterfacePrivateIpAddress) privateIPXML {
			return privateIPXML{a.PrivateIpAddress, a.PrivateDnsName, a.Primary}
		})),
		Ipv6Addresses: listOf(mapSlice(ni.Ipv6Addresses, func(a types.NetworkInterfaceIpv6Address) ipv6AddressXML {
			return ipv6AddressXML{a.Ipv6Address, a.IsPrimaryIpv6}
		})),
		Ipv6Address:       ni.Ipv6Address,
		InterfaceType:     string(ni.InterfaceType),
		DenyAllIgwTraffic: ni.DenyAllIgwTraffic,
		Ipv6Native:        ni.Ipv6Native,
	}
}

type serviceTypeXML struct {
	ServiceType string `xml:"serviceType,omitempty"`
}

type privateDnsDetailsXML struct {
	PrivateDnsName *string `xml:"privateDnsName"`
}

type serviceDetailXML struct {
	ServiceName                     *string                     `xml:"serviceName"`
	ServiceID                       *string                     `xml:"serviceId"`
	ServiceType                     *list[serviceTypeXML]       `xml:"serviceType"`
	ServiceRegion                   *string                     `xml:"serviceRegion"`
	AvailabilityZones               *list[string]               `xml:"availabilityZoneSet"`
	Owner                           *string                     `xml:"owner"`
	BaseEndpointDnsNames            *list[string]               `xml:"baseEndpointDnsNameSet"`
	PrivateDnsName                  *string                     `xml:"privateDnsName"`
	PrivateDnsNames                 *list[privateDnsDetailsXML] `xml:"privateDnsNameSet"`
	VpcEndpointPolicySupported      *bool                       `xml:"vpcEndpointPolicySupported"`
	AcceptanceRequired              *bool                       `xml:"acceptanceRequired"`
	ManagesVpcEndpoints             *bool                       `xml:"managesVpcEndpoints"`
	Tags                            *list[tagXML]               `xml:"tagSet"`
	PrivateDnsNameVerificationState string                      `xml:"privateDnsNameVerificationState,omitempty"`
	SupportedIpAddressTypes         *list[string]               `xml:"supportedIpAddressTypeSet"`
}

func toServiceDetailXML(sd types.ServiceDetail) serviceDetailXML {
	return serviceDetailXML{
		ServiceName: sd.ServiceName,
		ServiceID:   sd.ServiceId,
		ServiceType: listOf(mapSlice(sd.ServiceType, func(t types.ServiceTypeDetail) serviceTypeXML {
			return serviceTypeXML{string(t.ServiceType)}
		})),
		ServiceRegion:        sd.ServiceRegion,
		AvailabilityZones:    listOf(sd.AvailabilityZones),
		Owner:                sd.Owner,
		BaseEndpointDnsNames: listOf(sd.BaseEndpointDnsNames),
		PrivateDnsName:       sd.PrivateDnsName,
		PrivateDnsNames: listOf(mapSlice(sd.PrivateDnsNames, func(d types.PrivateDnsDetails) privateDnsDetailsXML {
			return privateDnsDetailsXML{d.PrivateDnsName}
		})),
		VpcEndpointPolicySupported:      sd.VpcEndpointPolicySupported,
		AcceptanceRequired:              sd.AcceptanceRequired,
		ManagesVpcEndpoints:             sd.ManagesVpcEndpoints,
		Tags:                            toTagsXML(sd.Tags),
		PrivateDnsNameVerificationState: string(sd.PrivateDnsNameVerificationState),
		SupportedIpAddressTypes:         enumList(sd.SupportedIpAddressTypes),
	}
}

type cidrBlockStateXML struct {
	State         string  `xml:"state,omitempty"`
	StatusMessage *string `xml:"statusMessage"`
}

type ipv6CidrAssociationXML struct {
	Ipv6CidrBlock      *string            `xml:"ipv6CidrBlock"`
	AssociationID      *string            `xml:"associationId"`
	Ipv6CidrBlockState *cidrBlockStateXML `xml:"ipv6CidrBlockState"`
}

type subnetXML struct {
	SubnetID                    *string                       `xml:"subnetId"`
	SubnetArn                   *string                       `xml:"subnetArn"`
	State                       string                        `xml:"state,omitempty"`
	OwnerID                     *string                       `xml:"ownerId"`
	VpcID                       *string                       `xml:"vpcId"`
	CidrBlock                   *string                       `xml:"cidrBlock"`
	Ipv6CidrBlockAssociationSet *list[ipv6CidrAssociationXML] `xml:"ipv6CidrBlockAssociationSet"`
	AvailabilityZone            *string                       `xml:"availabilityZone"`
	AvailabilityZoneID          *string                       `xml:"availabilityZoneId"`
	Tags                        *list[tagXML]                 `xml:"tagSet"`
}

func toSubnetXML(sn types.Subnet) subnetXML {
	return subnetXML{
		SubnetID:  sn.SubnetId,
		SubnetArn: sn.SubnetArn,
		State:     string(sn.State),
		OwnerID:   sn.OwnerId,
		VpcID:     sn.VpcId,
		CidrBlock: sn.CidrBlock,
		Ipv6CidrBlockAssociationSet: listOf(mapSlice(sn.Ipv6CidrBlockAssociationSet, func(a types.SubnetIpv6CidrBlockAssociation) ipv6CidrAssociationXML {
			x := ipv6CidrAssociationXML{Ipv6CidrBlock: a.Ipv6CidrBlock, AssociationID: a.AssociationId}
			if st := a.Ipv6CidrBlockState; st != nil {
				x.Ipv6CidrBlockState = &cidrBlockStateXML{string(st.State), st.StatusMessage}
			}
			return x
		})),
		AvailabilityZone:   sn.AvailabilityZone,
		AvailabilityZoneID: sn.AvailabilityZoneId,
		Tags:               toTagsXML(sn.Tags),
	}
}

type errorResponse struct {
	XMLName   xml.Name   `xml:"Response"`
	Errors    []errorXML `xml:"Errors>Error"`
	RequestID string     `xml:"RequestID"`
}

type errorXML struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// marshalResponse renders a response document, indented like EC2's.
func marshalResponse(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "    ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// marshalError renders an error document, on one line like EC2's.
func marshalError(e *apiError) []byte {
	b, _ := xml.Marshal(errorResponse{
		Errors:    []errorXML{{Code: e.code, Message: e.message}},
		RequestID: newRequestID(),
	})
	return append([]byte(xml.Header), b...)
}

// garble truncates a response document mid-way, keeping at least its root
// start tag: a body without one would decode as an empty success.
func garble(body []byte) []byte {
	cut := max(len(body)/2, bytes.Index(body, []byte("<requestId>")))
	return body[:cut]
}
