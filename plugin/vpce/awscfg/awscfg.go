// Package awscfg is where the vpce plugin's AWS clients call: one account, through its
// credentials or a role, in one region, and the SDK configuration for it that they share (the
// EC2 API source's and the S3 snapshot source's).
package awscfg

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/coredns-vpce/coredns-vpce/internal/sdkhttp"
)

// Account says where to call: one account, through its credentials or a role, in one region.
type Account struct {
	Region     string // empty: the SDK's default (environment, profile, instance metadata)
	Profile    string
	CredFile   string
	RoleARN    string
	ExternalID string
	Endpoint   string // the service's endpoint, instead of the region's: the client's to apply
	Retries    int    // the SDK's attempts of one call; 0: defaultRetries
}

// defaultRetries is the SDK's own attempts of a call (transient errors, throttling); the
// sources' backoff spaces out their reads.
const defaultRetries = 3

// Load is the SDK configuration for the account: region, profile, credentials, role, and the
// HTTP client with its CA bundle and proxy. Without a region anywhere it asks the instance
// metadata service. a.Endpoint is the caller's to apply.
func Load(ctx context.Context, a Account) (aws.Config, error) {
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

// String says where the account is called, for logs: never a credential. It is empty for the
// SDK's defaults.
func (a Account) String() string {
	s := ""
	add := func(part string) {
		if s != "" {
			s += " "
		}
		s += part
	}
	if a.Region != "" {
		add(a.Region)
	}
	if a.RoleARN != "" {
		add("as " + a.RoleARN)
	}
	if a.Profile != "" {
		add("profile " + a.Profile)
	}
	if a.Endpoint != "" {
		add("at " + a.Endpoint)
	}
	return s
}
