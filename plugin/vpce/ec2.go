package vpce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/coredns-vpce/coredns-vpce/internal/sdkhttp"
)

// ec2API is the part of the EC2 client the plugin calls; the IAM policy in the README lists
// exactly these actions.
type ec2API interface {
	DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeVpcEndpointServices(context.Context, *ec2.DescribeVpcEndpointServicesInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error)
}

// retryMaxAttempts is the SDK's own retries of a call (transient errors, throttling), inside
// one refresh; the poller's backoff spaces out the refreshes. A variable for tests.
var retryMaxAttempts = 3

// pageSize is the largest page both Describe calls allow: fewest calls against the account's
// shared API rate limit.
const pageSize = 1000

// account says how to reach one account in one region. Plugin instances whose accounts are
// equal share one poller.
type account struct {
	region       string // empty: the SDK's default (environment, profile, instance metadata)
	profile      string
	credFile     string
	roleARN      string
	externalID   string
	endpoint     string         // EC2 API endpoint override
	filters      []types.Filter // extra DescribeVpcEndpoints filters
	vpcs         []string
	maxEndpoints int  // refuse a result of more endpoints (max_endpoints)
	subnets      bool // always learn the VPCs' subnets (affinity), not only for inbound-only endpoints
	services     bool // read the private DNS names of hub endpoints' services (private_dns all)
}

// key identifies the account and what is asked of it, for sharing pollers.
func (a account) key() string {
	parts := []string{a.region, a.profile, a.credFile, a.roleARN, a.externalID, a.endpoint, strings.Join(a.vpcs, ","), fmt.Sprint(a.maxEndpoints)}
	if a.subnets {
		parts = append(parts, "+subnets")
	}
	if a.services {
		parts = append(parts, "+services")
	}
	for _, f := range a.filters {
		parts = append(parts, aws.ToString(f.Name)+"="+strings.Join(f.Values, ","))
	}
	return fmt.Sprintf("%q", parts)
}

// String names the account in logs: never a credential, only where it is.
func (a account) String() string {
	s := "EC2 API"
	if a.region != "" {
		s += " " + a.region
	}
	if a.roleARN != "" {
		s += " as " + a.roleARN
	}
	if a.profile != "" {
		s += " profile " + a.profile
	}
	if a.endpoint != "" {
		s += " at " + a.endpoint
	}
	return s
}

// newEC2Client builds the SDK client for the account. It reads local configuration only; the
// first network call is the first Describe (or, without a region anywhere, the instance
// metadata service), made by the poller in the background.
func newEC2Client(ctx context.Context, a account) (ec2API, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryMaxAttempts(retryMaxAttempts),
	}
	if a.region != "" {
		opts = append(opts, awsconfig.WithRegion(a.region))
	}
	if a.profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(a.profile))
	}
	if a.credFile != "" {
		opts = append(opts, awsconfig.WithSharedCredentialsFiles([]string{a.credFile}))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	cfg.HTTPClient = sdkhttp.OwnBody(cfg.HTTPClient) // the SDK's client, with its CA bundle and proxy settings
	if cfg.Region == "" {
		region, err := imds.NewFromConfig(cfg).GetRegion(ctx, &imds.GetRegionInput{})
		if err != nil {
			return nil, fmt.Errorf("no region configured, and none from instance metadata: %w", err)
		}
		cfg.Region = region.Region
	}
	if a.roleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), a.roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "coredns-vpce"
			if a.externalID != "" {
				o.ExternalID = aws.String(a.externalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, countRequests)
		if a.endpoint != "" {
			o.BaseEndpoint = aws.String(a.endpoint)
		}
	}), nil
}

// fetch reads the account's interface endpoints and their network interfaces, every page. Any
// error, on any page, fails the whole fetch: a partial inventory is never returned.
func fetch(ctx context.Context, client ec2API, a account) (*inventory.Inventory, error) {
	vpcs := a.vpcs
	inv := &inventory.Inventory{}

	epFilters := []types.Filter{{Name: aws.String("vpc-endpoint-type"), Values: []string{"Interface"}}}
	epFilters = append(epFilters, a.filters...)
	if len(vpcs) > 0 {
		epFilters = append(epFilters, types.Filter{Name: aws.String("vpc-id"), Values: vpcs})
	}
	eps := ec2.NewDescribeVpcEndpointsPaginator(client, &ec2.DescribeVpcEndpointsInput{
		Filters: epFilters, MaxResults: aws.Int32(pageSize),
	})
	for eps.HasMorePages() {
		page, err := nextPage(ctx, eps.NextPage)
		if err != nil {
			return nil, fmt.Errorf("DescribeVpcEndpoints: %w", err)
		}
		inv.VpcEndpoints = append(inv.VpcEndpoints, page.VpcEndpoints...)
		// Checked per page, so that a runaway account stops the paging, not the memory.
		if a.maxEndpoints > 0 {
			if err := (inventory.Limits{Endpoints: a.maxEndpoints}).CheckEndpoints("DescribeVpcEndpoints", len(inv.VpcEndpoints)); err != nil {
				return nil, err
			}
		}
	}

	niFilters := []types.Filter{{Name: aws.String("interface-type"), Values: []string{"vpc_endpoint"}}}
	if len(vpcs) > 0 {
		niFilters = append(niFilters, types.Filter{Name: aws.String("vpc-id"), Values: vpcs})
	}
	nis := ec2.NewDescribeNetworkInterfacesPaginator(client, &ec2.DescribeNetworkInterfacesInput{
		Filters: niFilters, MaxResults: aws.Int32(pageSize),
		// Accounts that hide managed resources leave endpoint interfaces out without it.
		IncludeManagedResources: aws.Bool(true),
	})
	for nis.HasMorePages() {
		page, err := nextPage(ctx, nis.NextPage)
		if err != nil {
			return nil, fmt.Errorf("DescribeNetworkInterfaces: %w", err)
		}
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, page.NetworkInterfaces...)
	}

	if subnetVPCs := subnetsNeeded(inv, a); len(subnetVPCs) > 0 {
		subnets, err := fetchSubnets(ctx, client, subnetVPCs)
		if err != nil {
			return nil, err
		}
		inv.Subnets = subnets
	}
	return inv, nil
}

// subnetsNeeded lists the VPCs whose subnets tell where clients are: every served VPC with
// affinity, else those of endpoints that answer only clients from outside their VPC.
func subnetsNeeded(inv *inventory.Inventory, a account) []string {
	var vpcs []string
	for _, ep := range inv.VpcEndpoints {
		inboundOnly := ep.DnsOptions != nil && aws.ToBool(ep.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint)
		if vpc := aws.ToString(ep.VpcId); (a.subnets || inboundOnly) && vpc != "" && !slices.Contains(vpcs, vpc) {
			vpcs = append(vpcs, vpc)
		}
	}
	slices.Sort(vpcs)
	return vpcs
}

// maxFilterValues is how many values EC2 takes in one filter.
const maxFilterValues = 200

func fetchSubnets(ctx context.Context, client ec2API, vpcs []string) ([]types.Subnet, error) {
	var subnets []types.Subnet
	for chunk := range slices.Chunk(vpcs, maxFilterValues) {
		p := ec2.NewDescribeSubnetsPaginator(client, &ec2.DescribeSubnetsInput{
			Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: chunk}}, MaxResults: aws.Int32(pageSize),
		})
		for p.HasMorePages() {
			page, err := nextPage(ctx, p.NextPage)
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

func fetchServices(ctx context.Context, client ec2API, names []string) ([]types.ServiceDetail, error) {
	var details []types.ServiceDetail
	for chunk := range slices.Chunk(names, maxFilterValues) {
		// The SDK has no paginator for this call; an empty token ends it, as for the others.
		in := &ec2.DescribeVpcEndpointServicesInput{ServiceNames: chunk, MaxResults: aws.Int32(pageSize)}
		for {
			page, err := nextPage(ctx, func(ctx context.Context, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error) {
				return client.DescribeVpcEndpointServices(ctx, in, opts...)
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

// pageTimeout bounds one page's request, retries included, so that a hung connection fails
// the refresh instead of stalling it; a variable for tests.
var pageTimeout = 30 * time.Second

func nextPage[T any](ctx context.Context, next func(context.Context, ...func(*ec2.Options)) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, pageTimeout)
	defer cancel()
	return next(ctx)
}

// countRequests adds a step that counts every request attempt (retries included) by operation
// and outcome, for api_requests_total. It wraps the operation's deserializer, which turns an
// error response into the API error; the retry loop runs outside the deserialize step.
func countRequests(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("vpceRequestMetrics",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			apiRequests.WithLabelValues(awsmiddleware.GetOperationName(ctx), errorCode(err)).Inc()
			return out, md, err
		}), middleware.Before)
}

// errorCode names an API call's outcome: OK, the API's error code, or the kind of failure.
func errorCode(err error) string {
	var ae smithy.APIError
	var de *smithy.DeserializationError
	switch {
	case err == nil:
		return "OK"
	case errors.As(err, &ae):
		return ae.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "Timeout"
	case errors.As(err, &de):
		return "MalformedResponse"
	}
	return "NetworkError"
}
