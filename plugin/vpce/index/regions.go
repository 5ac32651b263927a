package index

import (
	"regexp"
	"strings"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// endpointRegion is the region an endpoint serves, for metrics: ServiceRegion, or the region
// in its service name (com.amazonaws.<region>.<service>, com.amazonaws.vpce.<region>.vpce-svc-...).
// Anything that does not look like a region counts as "other", so the label stays bounded.
func (b *builder) endpointRegion(ep *inventory.Endpoint) string {
	region := ep.ServiceRegion
	if region == "" {
		region = serviceRegion(ep.Service)
	}
	r, ok := b.regions[region]
	if !ok {
		r = strings.Clone(region) // kept by the index's statistics
		if !regionPattern.MatchString(region) {
			r = "other"
		}
		b.regions[region] = r
	}
	return r
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

// regionPattern matches AWS region names: us-east-1, ap-northeast-1, us-gov-west-1, eusc-de-east-1.
var regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)

// latticeRegion is the region of a Resource or ServiceNetwork endpoint, for metrics: the
// region of its resource configuration's or service network's ARN, else "other".
func latticeRegion(ep *inventory.Endpoint) string {
	arn := ep.ResourceConfigurationARN
	if arn == "" {
		arn = ep.ServiceNetworkARN
	}
	if parts := strings.SplitN(arn, ":", 5); len(parts) == 5 && regionPattern.MatchString(parts[3]) {
		return strings.Clone(parts[3]) // kept by the index's statistics
	}
	return "other"
}
