package awsapi

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// pageSize is the largest page both Describe calls allow: fewest calls against the account's
// shared API rate limit.
const pageSize = 1000

// maxFilterValues is how many values EC2 takes in one filter.
const maxFilterValues = 200

// fetch reads the account's interface endpoints and their network interfaces, every page, and
// the subnets that tell where clients are. Any error, on any page, fails the whole fetch: a
// partial inventory is never returned.
func fetch(ctx context.Context, api API, q Query) (*inventory.Inventory, error) {
	inv := &inventory.Inventory{}
	timeout := q.pageTimeout()

	epFilters := []types.Filter{{Name: aws.String("vpc-endpoint-type"), Values: []string{"Interface"}}}
	epFilters = append(epFilters, q.Filters...)
	if len(q.VPCs) > 0 {
		epFilters = append(epFilters, types.Filter{Name: aws.String("vpc-id"), Values: q.VPCs})
	}
	eps := ec2.NewDescribeVpcEndpointsPaginator(api, &ec2.DescribeVpcEndpointsInput{
		Filters: epFilters, MaxResults: aws.Int32(pageSize),
	})
	for eps.HasMorePages() {
		page, err := nextPage(ctx, timeout, eps.NextPage)
		if err != nil {
			return nil, fmt.Errorf("DescribeVpcEndpoints: %w", err)
		}
		inv.VpcEndpoints = append(inv.VpcEndpoints, page.VpcEndpoints...)
		// Checked per page, so that a runaway account stops the paging, not the memory.
		if q.MaxEndpoints > 0 {
			if err := (inventory.Limits{Endpoints: q.MaxEndpoints}).CheckEndpoints("DescribeVpcEndpoints", len(inv.VpcEndpoints)); err != nil {
				return nil, err
			}
		}
	}

	niFilters := []types.Filter{{Name: aws.String("interface-type"), Values: []string{"vpc_endpoint"}}}
	if len(q.VPCs) > 0 {
		niFilters = append(niFilters, types.Filter{Name: aws.String("vpc-id"), Values: q.VPCs})
	}
	nis := ec2.NewDescribeNetworkInterfacesPaginator(api, &ec2.DescribeNetworkInterfacesInput{
		Filters: niFilters, MaxResults: aws.Int32(pageSize),
		// Accounts that hide managed resources leave endpoint interfaces out without it.
		IncludeManagedResources: aws.Bool(true),
	})
	for nis.HasMorePages() {
		page, err := nextPage(ctx, timeout, nis.NextPage)
		if err != nil {
			return nil, fmt.Errorf("DescribeNetworkInterfaces: %w", err)
		}
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, page.NetworkInterfaces...)
	}

	if subnetVPCs := subnetsNeeded(inv, q); len(subnetVPCs) > 0 {
		subnets, err := fetchSubnets(ctx, api, subnetVPCs, timeout)
		if err != nil {
			return nil, err
		}
		inv.Subnets = subnets
	}
	return inv, nil
}

// subnetsNeeded lists the VPCs whose subnets tell where clients are: every served VPC with
// affinity, else those of endpoints that answer only clients from outside their VPC.
func subnetsNeeded(inv *inventory.Inventory, q Query) []string {
	var vpcs []string
	for _, ep := range inv.VpcEndpoints {
		inboundOnly := ep.DnsOptions != nil && aws.ToBool(ep.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint)
		if vpc := aws.ToString(ep.VpcId); (q.Subnets || inboundOnly) && vpc != "" && !slices.Contains(vpcs, vpc) {
			vpcs = append(vpcs, vpc)
		}
	}
	slices.Sort(vpcs)
	return vpcs
}

func fetchSubnets(ctx context.Context, api API, vpcs []string, timeout time.Duration) ([]types.Subnet, error) {
	var subnets []types.Subnet
	for chunk := range slices.Chunk(vpcs, maxFilterValues) {
		p := ec2.NewDescribeSubnetsPaginator(api, &ec2.DescribeSubnetsInput{
			Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: chunk}}, MaxResults: aws.Int32(pageSize),
		})
		for p.HasMorePages() {
			page, err := nextPage(ctx, timeout, p.NextPage)
			if err != nil {
				return nil, fmt.Errorf("DescribeSubnets: %w", err)
			}
			subnets = append(subnets, page.Subnets...)
		}
	}
	return subnets, nil
}

// hubServices lists the services of endpoints whose private DNS is disabled: their private
// names come from DescribeVpcEndpointServices.
func hubServices(inv *inventory.Inventory) []string {
	var names []string
	for _, ep := range inv.VpcEndpoints {
		if name := aws.ToString(ep.ServiceName); !aws.ToBool(ep.PrivateDnsEnabled) && name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func fetchServices(ctx context.Context, api API, names []string, timeout time.Duration) ([]types.ServiceDetail, error) {
	var details []types.ServiceDetail
	for chunk := range slices.Chunk(names, maxFilterValues) {
		// The SDK has no paginator for this call; an empty token ends it, as for the others.
		in := &ec2.DescribeVpcEndpointServicesInput{ServiceNames: chunk, MaxResults: aws.Int32(pageSize)}
		for {
			page, err := nextPage(ctx, timeout, func(ctx context.Context, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error) {
				return api.DescribeVpcEndpointServices(ctx, in, opts...)
			})
			if err != nil {
				return nil, fmt.Errorf("DescribeVpcEndpointServices: %w", err)
			}
			details = append(details, page.ServiceDetails...)
			if aws.ToString(page.NextToken) == "" {
				break
			}
			in.NextToken = page.NextToken
		}
	}
	return details, nil
}

func nextPage[T any](ctx context.Context, timeout time.Duration, next func(context.Context, ...func(*ec2.Options)) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return next(ctx)
}
