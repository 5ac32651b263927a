package index

import (
	"strings"

	"github.com/coredns-vpce/coredns-vpce/internal/awsregion"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// endpointRegion is the region an endpoint serves, for metrics: ServiceRegion, or the region
// in its service name (com.amazonaws.<region>.<service>, com.amazonaws.vpce.<region>.vpce-svc-...).
// Anything that is not an AWS region counts as "other", so the label stays bounded.
func (b *builder) endpointRegion(ep *inventory.Endpoint) string {
	region := ep.ServiceRegion
	if region == "" {
		region = serviceRegion(ep.Service)
	}
	r, ok := b.regions[region]
	if !ok {
		r = regionLabel(region)
		b.regions[region] = r
	}
	return r
}

// regionLabel is region, if it is an AWS region, else "other". It keeps nothing of region: the
// index's statistics hold AWS's names, not a piece of the inventory's strings.
func regionLabel(region string) string {
	if i, ok := awsregion.Index([]byte(region)); ok {
		return awsregion.Names[i]
	}
	return "other"
}

// serviceRegion is the third label of a service name, or the fourth after "vpce".
func serviceRegion(service string) string {
	_, rest, ok := strings.Cut(service, ".")
	if !ok {
		return ""
	}
	if _, rest, ok = strings.Cut(rest, "."); !ok {
		return ""
	}
	label, after, more := strings.Cut(rest, ".")
	if label == "vpce" && more {
		label, _, _ = strings.Cut(after, ".")
	}
	return label
}

// latticeRegion is the region of a Resource or ServiceNetwork endpoint, for metrics: the
// region of its resource configuration's or service network's ARN, else "other".
func latticeRegion(ep *inventory.Endpoint) string {
	arn := ep.ResourceConfigurationARN
	if arn == "" {
		arn = ep.ServiceNetworkARN
	}
	if parts := strings.SplitN(arn, ":", 5); len(parts) == 5 {
		return regionLabel(parts[3])
	}
	return "other"
}
