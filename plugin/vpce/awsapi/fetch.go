package awsapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// pageSize is the largest page both Describe calls allow: fewest calls against the account's
// shared API rate limit.
const pageSize = 1000

// maxFilterValues is how many values EC2 takes in one filter.
const maxFilterValues = 200

// fetch reads the account's interface, resource and service-network endpoints and their
// network interfaces, every page, the associations that carry the names of the latter two
// types, and the subnets that tell where clients are, and returns what a Compact keeps of them:
// each page is compacted as it arrives. Without prev it lists every interface; with prev, what
// was kept of the last inventory read, only those that can have changed since
// (changedInterfaces). whole, if not nil, also gets the pages as they are (an export, which
// lists every interface). Any error, on any page, fails the whole fetch: a partial inventory is
// never returned.
func fetch(ctx context.Context, api API, q Query, prev *inventory.Compact, whole *inventory.Inventory) (*inventory.Compact, error) {
	k := inventory.NewCompactor()
	timeout := q.pageTimeout()

	epFilters := []types.Filter{{Name: aws.String("vpc-endpoint-type"), Values: inventory.ServedTypes}}
	for _, f := range q.Filters {
		epFilters = append(epFilters, types.Filter{Name: aws.String(f.Name), Values: f.Values})
	}
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
		k.AddEndpoints(page.VpcEndpoints)
		if whole != nil {
			whole.VpcEndpoints = append(whole.VpcEndpoints, page.VpcEndpoints...)
		}
		// Checked per page, so that a runaway account stops the paging, not the memory.
		if q.MaxEndpoints > 0 {
			if err := (inventory.Limits{Endpoints: q.MaxEndpoints}).CheckEndpoints("DescribeVpcEndpoints", len(k.Endpoints)); err != nil {
				return nil, err
			}
		}
	}

	assocs, err := fetchAssociations(ctx, api, k.Endpoints, timeout)
	if err != nil {
		return nil, err
	}
	k.AddAssociations(assocs)

	addInterfaces := func(page []types.NetworkInterface) {
		k.AddInterfaces(page)
		if whole != nil {
			whole.NetworkInterfaces = append(whole.NetworkInterfaces, page...)
		}
	}
	niFilters := []types.Filter{{Name: aws.String("interface-type"), Values: []string{"vpc_endpoint"}}}
	if prev == nil {
		if len(q.VPCs) > 0 {
			niFilters = append(niFilters, types.Filter{Name: aws.String("vpc-id"), Values: q.VPCs})
		}
		if err := fetchInterfaces(ctx, api, niFilters, timeout, addInterfaces); err != nil {
			return nil, err
		}
	} else {
		stale := changedInterfaces(prev, k.Endpoints)
		ids := slices.Sorted(maps.Keys(stale))
		for chunk := range slices.Chunk(ids, maxFilterValues) {
			// A filter, not NetworkInterfaceIds: an interface deleted since the endpoints were
			// listed is left out instead of failing the call.
			byID := append(slices.Clip(niFilters), types.Filter{Name: aws.String("network-interface-id"), Values: chunk})
			if err := fetchInterfaces(ctx, api, byID, timeout, addInterfaces); err != nil {
				return nil, err
			}
		}
		for i := range prev.Interfaces {
			if ni := &prev.Interfaces[i]; !stale[ni.ID] {
				k.AddKept(ni)
			}
		}
	}
	// In id order however they were read, so that a partial and a full listing of the same
	// interfaces have the same fingerprint.
	slices.SortFunc(k.Interfaces, func(a, b inventory.Interface) int { return strings.Compare(a.ID, b.ID) })
	if whole != nil {
		slices.SortFunc(whole.NetworkInterfaces, func(a, b types.NetworkInterface) int {
			return strings.Compare(aws.ToString(a.NetworkInterfaceId), aws.ToString(b.NetworkInterfaceId))
		})
		whole.VpcEndpointAssociations = assocs
	}

	if subnetVPCs := subnetsNeeded(k.Compact, q); len(subnetVPCs) > 0 {
		subnets, err := fetchSubnets(ctx, api, subnetVPCs, timeout)
		if err != nil {
			return nil, err
		}
		k.AddSubnets(subnets)
		if whole != nil {
			whole.Subnets = subnets
		}
	}
	return k.Compact, nil
}

// associationPage is the largest page DescribeVpcEndpointAssociations allows.
const associationPage = 100

// fetchAssociations reads the associations of the Resource and ServiceNetwork endpoints among
// eps, which hold those endpoints' names; no call when there are none.
func fetchAssociations(ctx context.Context, api API, eps []inventory.Endpoint, timeout time.Duration) ([]types.VpcEndpointAssociation, error) {
	var ids []string
	for i := range eps {
		if ep := &eps[i]; strings.EqualFold(ep.Type, string(types.VpcEndpointTypeResource)) ||
			strings.EqualFold(ep.Type, string(types.VpcEndpointTypeServiceNetwork)) {
			ids = append(ids, ep.ID)
		}
	}
	slices.Sort(ids)
	var assocs []types.VpcEndpointAssociation
	for chunk := range slices.Chunk(slices.Compact(ids), maxFilterValues) {
		list, err := listAssociations(ctx, api, &ec2.DescribeVpcEndpointAssociationsInput{VpcEndpointIds: chunk}, timeout)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "InvalidVpcEndpointId.NotFound" {
			// An endpoint deleted since the endpoints were listed: the filter leaves it out
			// instead of failing the refresh.
			byFilter := []types.Filter{{Name: aws.String("vpc-endpoint-id"), Values: chunk}}
			list, err = listAssociations(ctx, api, &ec2.DescribeVpcEndpointAssociationsInput{Filters: byFilter}, timeout)
		}
		if err != nil {
			return nil, fmt.Errorf("DescribeVpcEndpointAssociations: %w", err)
		}
		assocs = append(assocs, list...)
	}
	return assocs, nil
}

// listAssociations reads every page of in, 100 a page. The SDK has no paginator for this
// call: the loop follows NextToken.
func listAssociations(ctx context.Context, api API, in *ec2.DescribeVpcEndpointAssociationsInput, timeout time.Duration) ([]types.VpcEndpointAssociation, error) {
	in.MaxResults = aws.Int32(associationPage)
	var list []types.VpcEndpointAssociation
	for {
		page, err := nextPage(ctx, timeout, func(ctx context.Context, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointAssociationsOutput, error) {
			return api.DescribeVpcEndpointAssociations(ctx, in, opts...)
		})
		if err != nil {
			return nil, err
		}
		list = append(list, page.VpcEndpointAssociations...)
		if aws.ToString(page.NextToken) == "" {
			return list, nil
		}
		in.NextToken = page.NextToken
	}
}

// fetchInterfaces hands every page of the interfaces filters select to add.
func fetchInterfaces(ctx context.Context, api API, filters []types.Filter, timeout time.Duration, add func([]types.NetworkInterface)) error {
	p := ec2.NewDescribeNetworkInterfacesPaginator(api, &ec2.DescribeNetworkInterfacesInput{
		Filters: filters, MaxResults: aws.Int32(pageSize),
		// Accounts that hide managed resources leave endpoint interfaces out without it.
		IncludeManagedResources: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := nextPage(ctx, timeout, p.NextPage)
		if err != nil {
			return fmt.Errorf("DescribeNetworkInterfaces: %w", err)
		}
		add(page.NetworkInterfaces)
	}
	return nil
}

// changedInterfaces are the interfaces of eps that can have changed since prev: those prev
// does not hold, and every one of an endpoint that is new or whose addressing changed (an
// endpoint switched to dualstack keeps its interfaces and gains IPv6 addresses). The rest are
// taken from prev; a change made to an interface alone waits for the next full listing.
// Interfaces of endpoints deleted since stay until then too: no endpoint names them.
func changedInterfaces(prev *inventory.Compact, eps []inventory.Endpoint) map[string]bool {
	known := make(map[string]bool, len(prev.Interfaces))
	for _, ni := range prev.Interfaces {
		known[ni.ID] = true
	}
	before := make(map[string]*inventory.Endpoint, len(prev.Endpoints))
	for i := range prev.Endpoints {
		before[prev.Endpoints[i].ID] = &prev.Endpoints[i]
	}
	stale := map[string]bool{}
	for i := range eps {
		ep := &eps[i]
		old, ok := before[ep.ID]
		readAll := !ok || addressingChanged(old, ep)
		for _, id := range ep.Interfaces {
			if readAll || !known[id] {
				stale[id] = true
			}
		}
	}
	return stale
}

// addressingChanged reports whether an endpoint changed in a way that can come with new
// addresses on the interfaces it had.
func addressingChanged(a, b *inventory.Endpoint) bool {
	return a.State != b.State || a.IPAddressType != b.IPAddressType || a.RecordIPType != b.RecordIPType ||
		a.InboundOnly != b.InboundOnly || !slices.Equal(a.Subnets, b.Subnets) || !slices.Equal(a.Interfaces, b.Interfaces)
}

// subnetsNeeded lists the VPCs whose subnets tell where clients are: every served VPC with
// affinity; else those of endpoints that answer only clients from outside their VPC, and those
// whose endpoints offer a name that another VPC's endpoint offers too (each VPC's clients get
// their own). A name is known by itself (a private name in DnsEntries, a custom name of an
// association) or, under private_dns all, by the service whose names hub endpoints serve.
func subnetsNeeded(c *inventory.Compact, q Query) []string {
	need := map[string]bool{}
	first := map[string]string{} // a name's key -> the first VPC offering it
	offers := func(key, vpc string) {
		if v, ok := first[key]; !ok {
			first[key] = vpc
		} else if v != vpc {
			need[v], need[vpc] = true, true
		}
	}
	vpcOf := map[string]string{} // endpoint id -> VPC, for the associations
	for i := range c.Endpoints {
		ep := &c.Endpoints[i]
		if ep.VPC == "" {
			continue
		}
		vpcOf[ep.ID] = ep.VPC
		if q.Subnets || ep.InboundOnly {
			need[ep.VPC] = true
		}
		if ep.Service != "" && q.Services {
			offers("service "+ep.Service, ep.VPC) // hub endpoints' names are the service's
		}
		if !ep.PrivateDNS {
			continue
		}
		for _, name := range ep.DNSNames {
			if !strings.HasPrefix(strings.ToLower(name), strings.ToLower(ep.ID)+"-") {
				offers("name "+strings.ToLower(strings.TrimSuffix(name, ".")), ep.VPC)
			}
		}
	}
	for i := range c.Associations {
		as := &c.Associations[i]
		if vpc, ok := vpcOf[as.EndpointID]; ok && as.PrivateDNSName != "" {
			offers("name "+strings.ToLower(strings.TrimSuffix(as.PrivateDNSName, ".")), vpc)
		}
	}
	return slices.Sorted(maps.Keys(need))
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
func hubServices(eps []inventory.Endpoint) []string {
	var names []string
	for i := range eps {
		if ep := &eps[i]; !ep.PrivateDNS && ep.Service != "" && !slices.Contains(names, ep.Service) {
			names = append(names, ep.Service)
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
