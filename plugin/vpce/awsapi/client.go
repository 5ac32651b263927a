// Package awsapi is the vpce plugin's EC2 API source: the SDK client, the Describe calls of one
// refresh, and the pollers that refresh each account in the background and hand every new
// inventory to the plugin instances that follow it.
package awsapi

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	clog "github.com/coredns/coredns/plugin/pkg/log"
)

var log = clog.NewWithPlugin("vpce")

// API is the part of the EC2 client the plugin calls; the IAM policy in the README lists
// exactly these actions.
type API interface {
	DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeVpcEndpointServices(context.Context, *ec2.DescribeVpcEndpointServicesInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error)
	DescribeVpcEndpointAssociations(context.Context, *ec2.DescribeVpcEndpointAssociationsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointAssociationsOutput, error)
}

// NewClient builds the SDK client for the account. It reads local configuration only; the
// first network call is the first Describe (or, without a region anywhere, the instance
// metadata service), made by the poller in the background.
func NewClient(ctx context.Context, a awscfg.Account) (API, error) {
	cfg, err := awscfg.Load(ctx, a)
	if err != nil {
		return nil, err
	}
	return ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, countRequests)
		if a.Endpoint != "" {
			o.BaseEndpoint = aws.String(a.Endpoint)
		}
	}), nil
}

// closeIdle closes the idle connections of a client that is done with.
func closeIdle(api API) {
	if c, ok := api.(*ec2.Client); ok {
		if hc, ok := c.Options().HTTPClient.(interface{ CloseIdleConnections() }); ok {
			hc.CloseIdleConnections()
		}
	}
}
