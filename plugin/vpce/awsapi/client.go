// Package awsapi is the vpce plugin's EC2 API source: the SDK client, the Describe calls of one
// refresh, and the pollers that refresh each account in the background and hand every new
// inventory to the plugin instances that follow it.
package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	clog "github.com/coredns/coredns/plugin/pkg/log"

	"github.com/coredns-vpce/coredns-vpce/internal/sdkhttp"
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
func NewClient(ctx context.Context, a Account) (API, error) {
	cfg, err := Config(ctx, a)
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

// Config is the SDK configuration for the account (region, profile, credentials, role, and
// the HTTP client with its CA bundle and proxy), which every AWS client of the plugin shares:
// the EC2 API's, and the S3 snapshot source's. Without a region anywhere it asks the instance
// metadata service. a.Endpoint is the caller's to apply.
func Config(ctx context.Context, a Account) (aws.Config, error) {
	retries := a.Retries
	if retries == 0 {
		retries = defaultRetries
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryMaxAttempts(retries),
	}
	if a.Region != "" {
		opts = append(opts, awsconfig.WithRegion(a.Region))
	}
	if a.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(a.Profile))
	}
	if a.CredFile != "" {
		opts = append(opts, awsconfig.WithSharedCredentialsFiles([]string{a.CredFile}))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	cfg.HTTPClient = sdkhttp.OwnBody(cfg.HTTPClient) // the SDK's client, with its CA bundle and proxy settings
	if cfg.Region == "" {
		region, err := imds.NewFromConfig(cfg).GetRegion(ctx, &imds.GetRegionInput{})
		if err != nil {
			return aws.Config{}, fmt.Errorf("no region configured, and none from instance metadata: %w", err)
		}
		cfg.Region = region.Region
	}
	if a.RoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), a.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "coredns-vpce"
			if a.ExternalID != "" {
				o.ExternalID = aws.String(a.ExternalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return cfg, nil
}

// closeIdle closes the idle connections of a client that is done with.
func closeIdle(api API) {
	if c, ok := api.(*ec2.Client); ok {
		if hc, ok := c.Options().HTTPClient.(interface{ CloseIdleConnections() }); ok {
			hc.CloseIdleConnections()
		}
	}
}
