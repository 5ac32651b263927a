package index

import (
	"testing"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// TestRegionLabels: an endpoint's region label is an AWS region (internal/awsregion, the gap
// report's too) or "other", whether the region is given, in the service name or in an ARN.
func TestRegionLabels(t *testing.T) {
	b := &builder{regions: map[string]string{}}
	for _, tc := range []struct {
		ep   inventory.Endpoint
		want string
	}{
		{inventory.Endpoint{Service: "com.amazonaws.eu-west-1.ssm"}, "eu-west-1"},
		{inventory.Endpoint{Service: "com.amazonaws.vpce.me-west-1.vpce-svc-0123456789abcdef0"}, "me-west-1"},
		{inventory.Endpoint{Service: "com.amazonaws.us-east-1.s3", ServiceRegion: "us-gov-west-1"}, "us-gov-west-1"},
		{inventory.Endpoint{Service: "com.amazonaws.ab-fake-1.ssm"}, "other"}, // region-shaped, not a region
		{inventory.Endpoint{Service: "com.example.thing"}, "other"},
	} {
		if got := b.endpointRegion(&tc.ep); got != tc.want {
			t.Errorf("endpointRegion(%s, %q) = %q, want %q", tc.ep.Service, tc.ep.ServiceRegion, got, tc.want)
		}
	}
	for arn, want := range map[string]string{
		"arn:aws:vpc-lattice:ap-southeast-7:123456789012:resourceconfiguration/rcfg-1": "ap-southeast-7",
		"arn:aws:vpc-lattice:ab-fake-1:123456789012:resourceconfiguration/rcfg-1":      "other",
		"not an arn": "other",
	} {
		if got := latticeRegion(&inventory.Endpoint{ResourceConfigurationARN: arn}); got != want {
			t.Errorf("latticeRegion(%s) = %q, want %q", arn, got, want)
		}
	}
}
