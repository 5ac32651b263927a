package ec2fake

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Endpoint is a short description of an interface endpoint for tests and demos.
type Endpoint struct {
	ID      string   // vpce-...
	VPC     string   // vpc-...
	Service string   // ServiceName, e.g. com.amazonaws.us-east-1.ssm; optional
	State   string   // wire form; "available" when empty
	Names   []string // DnsEntries; private names are served when PrivateDNS is set
	Addrs   []string // one interface per address, in AZs us-east-1a, -1b, ...
	Created time.Time
	// PrivateDNS sets PrivateDnsEnabled.
	PrivateDNS bool
}

// AddEndpoint puts the endpoint and its network interfaces (eni-<endpoint id>-<n>).
func (a *account) AddEndpoint(e Endpoint) {
	state := e.State
	if state == "" {
		state = "available"
	}
	ep := types.VpcEndpoint{
		VpcEndpointId: aws.String(e.ID), VpcEndpointType: types.VpcEndpointTypeInterface, VpcId: aws.String(e.VPC),
		State: types.State(state), PrivateDnsEnabled: aws.Bool(e.PrivateDNS), CreationTimestamp: aws.Time(e.Created),
		DnsOptions: &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpTypeIpv4}, IpAddressType: types.IpAddressTypeIpv4,
	}
	if e.Service != "" {
		ep.ServiceName = aws.String(e.Service)
	}
	for _, name := range e.Names {
		ep.DnsEntries = append(ep.DnsEntries, types.DnsEntry{DnsName: aws.String(name)})
	}
	for i, addr := range e.Addrs {
		id := fmt.Sprintf("eni-%s-%d", e.ID, i)
		a.PutInterface(types.NetworkInterface{
			NetworkInterfaceId: aws.String(id), VpcId: aws.String(e.VPC), InterfaceType: types.NetworkInterfaceTypeVpcEndpoint,
			AvailabilityZone: aws.String(fmt.Sprintf("us-east-1%c", 'a'+i)), PrivateIpAddress: aws.String(addr),
			Description: aws.String("VPC Endpoint Interface " + e.ID), Status: types.NetworkInterfaceStatusInUse,
		})
		ep.NetworkInterfaceIds = append(ep.NetworkInterfaceIds, id)
	}
	a.PutEndpoint(ep)
}
