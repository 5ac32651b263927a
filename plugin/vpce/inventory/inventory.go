// Package inventory is the data a source of the vpce plugin produces: an account's endpoints,
// their network interfaces, services, subnets and associations, as the EC2 API describes them
// (Inventory), and what the index is built from of them (Compact). It holds the snapshot format
// (parse, write) with its limits, the cache file and the snapshot files' source. It calls no
// AWS API and knows no DNS.
package inventory

import "github.com/aws/aws-sdk-go-v2/service/ec2/types"

// Inventory is an account's endpoint state as the EC2 API describes it, in the SDK's types: what
// a snapshot file holds in the AWS CLI's JSON form (the field names of the SDK's types), and what
// an export writes. Sources hand over its Compact form (compact.go), which the index is built from.
type Inventory struct {
	VpcEndpoints      []types.VpcEndpoint      `json:",omitempty"`
	NetworkInterfaces []types.NetworkInterface `json:",omitempty"`
	ServiceDetails    []types.ServiceDetail    `json:",omitempty"`
	Subnets           []types.Subnet           `json:",omitempty"`
	// VpcEndpointAssociations are the associations of Resource and ServiceNetwork endpoints,
	// which carry those endpoints' DNS names (their DnsEntries are empty).
	VpcEndpointAssociations []types.VpcEndpointAssociation `json:",omitempty"`
}

// Merge returns the inventories' contents in one, in order. A single inventory is returned
// as it is: nothing changes an inventory once it is delivered.
func Merge(parts ...*Inventory) *Inventory {
	return merge(parts, func(all, p *Inventory) {
		all.VpcEndpoints = append(all.VpcEndpoints, p.VpcEndpoints...)
		all.NetworkInterfaces = append(all.NetworkInterfaces, p.NetworkInterfaces...)
		all.ServiceDetails = append(all.ServiceDetails, p.ServiceDetails...)
		all.Subnets = append(all.Subnets, p.Subnets...)
		all.VpcEndpointAssociations = append(all.VpcEndpointAssociations, p.VpcEndpointAssociations...)
	})
}

// merge adds every part that is not nil to a new T, in order, unless there is only one: that
// one is returned as it is.
func merge[T any](parts []*T, add func(all, part *T)) *T {
	var only *T
	n := 0
	for _, p := range parts {
		if p != nil {
			only, n = p, n+1
		}
	}
	if n == 1 {
		return only
	}
	all := new(T)
	for _, p := range parts {
		if p != nil {
			add(all, p)
		}
	}
	return all
}
