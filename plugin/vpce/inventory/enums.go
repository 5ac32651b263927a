package inventory

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The enum values the index builder tells apart, as the SDK spells them: compare them ignoring
// case (KnownEnum says why).
const (
	InterfaceEndpoint      = string(types.VpcEndpointTypeInterface)
	ResourceEndpoint       = string(types.VpcEndpointTypeResource)
	ServiceNetworkEndpoint = string(types.VpcEndpointTypeServiceNetwork)
	StateAvailable         = string(types.StateAvailable)
	NameVerified           = string(types.DnsNameStateVerified) // Service.Verification
)

// ServedTypes are the endpoint types whose names the plugin serves: the DNS entries of
// Interface endpoints, the custom names of Resource and ServiceNetwork endpoints' associations.
var ServedTypes = []string{InterfaceEndpoint, ResourceEndpoint, ServiceNetworkEndpoint}

// RecordIPType is an endpoint's DnsRecordIpType: which records its names answer with.
type RecordIPType string

const (
	RecordIPv6           = RecordIPType(types.DnsRecordIpTypeIpv6)
	RecordDualstack      = RecordIPType(types.DnsRecordIpTypeDualstack)
	RecordServiceDefined = RecordIPType(types.DnsRecordIpTypeServiceDefined)
)

// The values the SDK lists of the enums an endpoint is served by, read once (Values makes a new
// slice each time): the builder leaves an endpoint with another value out, with a warning.
var (
	EndpointTypes  = valuesOf[string](types.VpcEndpointType("").Values())
	States         = valuesOf[string](types.State("").Values())
	IPAddressTypes = valuesOf[string](types.IpAddressType("").Values())
	RecordIPTypes  = valuesOf[RecordIPType](types.DnsRecordIpType("").Values())
)

func valuesOf[T, S ~string](values []S) []T {
	out := make([]T, len(values))
	for i, v := range values {
		out[i] = T(v)
	}
	return out
}

// KnownEnum reports whether v is one of values, ignoring case: the wire sends camelCase
// ("pendingAcceptance"), the SDK's constants are PascalCase, and the CLI prints either.
func KnownEnum[T ~string](v T, values []T) bool {
	for _, k := range values {
		if strings.EqualFold(string(v), string(k)) {
			return true
		}
	}
	return false
}
