package ec2fake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func (s *Server) describeVpcEndpoints(c *call) (any, error) {
	page, next, err := endpointResource.query(s, c, c.acct.Snapshot().VpcEndpoints)
	if err != nil {
		return nil, err
	}
	return &describeVpcEndpointsResponse{
		RequestID:    newRequestID(),
		VpcEndpoints: &list[vpcEndpointXML]{Items: mapSlice(page, toVpcEndpointXML)},
		NextToken:    next,
	}, nil
}

func (s *Server) describeNetworkInterfaces(c *call) (any, error) {
	page, next, err := eniResource.query(s, c, c.acct.Snapshot().NetworkInterfaces)
	if err != nil {
		return nil, err
	}
	return &describeNetworkInterfacesResponse{
		RequestID:         newRequestID(),
		NetworkInterfaces: &list[networkInterfaceXML]{Items: mapSlice(page, toNetworkInterfaceXML)},
		NextToken:         next,
	}, nil
}

func (s *Server) describeVpcEndpointServices(c *call) (any, error) {
	page, next, err := serviceResource.query(s, c, c.acct.Snapshot().ServiceDetails)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(page))
	for i, sd := range page {
		names[i] = aws.ToString(sd.ServiceName)
	}
	return &describeVpcEndpointServicesResponse{
		RequestID:      newRequestID(),
		ServiceNames:   &list[string]{Items: names},
		ServiceDetails: &list[serviceDetailXML]{Items: mapSlice(page, toServiceDetailXML)},
		NextToken:      next,
	}, nil
}

func (s *Server) describeSubnets(c *call) (any, error) {
	page, next, err := subnetResource.query(s, c, c.acct.Snapshot().Subnets)
	if err != nil {
		return nil, err
	}
	return &describeSubnetsResponse{
		RequestID: newRequestID(),
		Subnets:   &list[subnetXML]{Items: mapSlice(page, toSubnetXML)},
		NextToken: next,
	}, nil
}

func (s *Server) describeVpcEndpointAssociations(c *call) (any, error) {
	page, next, err := associationResource.query(s, c, c.acct.Snapshot().VpcEndpointAssociations)
	if err != nil {
		return nil, err
	}
	return &describeVpcEndpointAssociationsResponse{
		RequestID:    newRequestID(),
		Associations: &list[associationXML]{Items: mapSlice(page, toAssociationXML)},
		NextToken:    next,
	}, nil
}

var endpointResource = resource[types.VpcEndpoint]{
	idParam: "VpcEndpointId",
	id:      func(ep *types.VpcEndpoint) string { return aws.ToString(ep.VpcEndpointId) },
	notFound: func(id string) *apiError {
		return errNotFound("InvalidVpcEndpointId.NotFound", "The VpcEndpoint Id '%s' does not exist", id)
	},
	filter: func(name string) (matcher[types.VpcEndpoint], bool) {
		if key, ok := strings.CutPrefix(name, "tag:"); ok {
			return func(ep *types.VpcEndpoint, vs []string) bool { return tagIn(ep.Tags, key, vs) }, true
		}
		m, ok := endpointFilters[name]
		return m, ok
	},
	limits: pageLimits{min: 1, capped: true},
}

var endpointFilters = map[string]matcher[types.VpcEndpoint]{
	"vpc-id":            func(ep *types.VpcEndpoint, vs []string) bool { return oneOf(aws.ToString(ep.VpcId), vs) },
	"vpc-endpoint-id":   func(ep *types.VpcEndpoint, vs []string) bool { return oneOf(aws.ToString(ep.VpcEndpointId), vs) },
	"vpc-endpoint-type": func(ep *types.VpcEndpoint, vs []string) bool { return oneOf(string(ep.VpcEndpointType), vs) },
	"service-name":      func(ep *types.VpcEndpoint, vs []string) bool { return oneOf(aws.ToString(ep.ServiceName), vs) },
	// The wire sends camelCase states while the SDK's constants are
	// PascalCase, and AWS accepts either in the filter.
	"vpc-endpoint-state": func(ep *types.VpcEndpoint, vs []string) bool {
		return slices.ContainsFunc(vs, func(v string) bool { return strings.EqualFold(v, string(ep.State)) })
	},
	"tag-key": func(ep *types.VpcEndpoint, vs []string) bool {
		return slices.ContainsFunc(ep.Tags, func(t types.Tag) bool { return oneOf(aws.ToString(t.Key), vs) })
	},
}

// associationResource selects by endpoint (VpcEndpointId.N, whose ids must exist, as for
// DescribeVpcEndpoints) and pages by at most 100, the API's largest page.
var associationResource = resource[types.VpcEndpointAssociation]{
	idParam: "VpcEndpointId",
	id:      func(a *types.VpcEndpointAssociation) string { return aws.ToString(a.VpcEndpointId) },
	notFound: func(id string) *apiError {
		return errNotFound("InvalidVpcEndpointId.NotFound", "The VpcEndpoint Id '%s' does not exist", id)
	},
	owners: func(a *account) map[string]bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		ids := make(map[string]bool, len(a.endpoints))
		for id := range a.endpoints {
			ids[id] = true
		}
		return ids
	},
	filter: lookup(associationFilters),
	limits: pageLimits{min: 1, max: 100},
}

// associationFilters are the filters the API reference documents for the call.
var associationFilters = map[string]matcher[types.VpcEndpointAssociation]{
	"vpc-endpoint-id": func(a *types.VpcEndpointAssociation, vs []string) bool {
		return oneOf(aws.ToString(a.VpcEndpointId), vs)
	},
	"association-id": func(a *types.VpcEndpointAssociation, vs []string) bool { return oneOf(aws.ToString(a.Id), vs) },
	"associated-resource-accessibility": func(a *types.VpcEndpointAssociation, vs []string) bool {
		return slices.ContainsFunc(vs, func(v string) bool { return strings.EqualFold(v, aws.ToString(a.AssociatedResourceAccessibility)) })
	},
	// The resource configuration's id: the last part of its ARN.
	"associated-resource-id": func(a *types.VpcEndpointAssociation, vs []string) bool {
		arn := aws.ToString(a.AssociatedResourceArn)
		return oneOf(arn[strings.LastIndexByte(arn, '/')+1:], vs)
	},
	"service-network-arn": func(a *types.VpcEndpointAssociation, vs []string) bool {
		return oneOf(aws.ToString(a.ServiceNetworkArn), vs)
	},
	"resource-configuration-group-arn": func(a *types.VpcEndpointAssociation, vs []string) bool {
		return oneOf(aws.ToString(a.ResourceConfigurationGroupArn), vs)
	},
}

var eniResource = resource[types.NetworkInterface]{
	idParam: "NetworkInterfaceId",
	id:      func(ni *types.NetworkInterface) string { return aws.ToString(ni.NetworkInterfaceId) },
	notFound: func(id string) *apiError {
		return errNotFound("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
	},
	idsExcludePaging: true,
	filter:           lookup(eniFilters),
	limits:           pageLimits{min: 5},
}

var eniFilters = map[string]matcher[types.NetworkInterface]{
	"interface-type": func(ni *types.NetworkInterface, vs []string) bool { return oneOf(string(ni.InterfaceType), vs) },
	"vpc-id":         func(ni *types.NetworkInterface, vs []string) bool { return oneOf(aws.ToString(ni.VpcId), vs) },
	"network-interface-id": func(ni *types.NetworkInterface, vs []string) bool {
		return oneOf(aws.ToString(ni.NetworkInterfaceId), vs)
	},
	"availability-zone": func(ni *types.NetworkInterface, vs []string) bool {
		return oneOf(aws.ToString(ni.AvailabilityZone), vs)
	},
}

var serviceResource = resource[types.ServiceDetail]{
	idParam: "ServiceName",
	id:      func(sd *types.ServiceDetail) string { return aws.ToString(sd.ServiceName) },
	notFound: func(name string) *apiError {
		return errNotFound("InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", name)
	},
	filter: lookup(map[string]matcher[types.ServiceDetail]{
		"service-name": func(sd *types.ServiceDetail, vs []string) bool { return oneOf(aws.ToString(sd.ServiceName), vs) },
	}),
	limits: pageLimits{min: 1, capped: true},
}

var subnetResource = resource[types.Subnet]{
	idParam: "SubnetId",
	id:      func(sn *types.Subnet) string { return aws.ToString(sn.SubnetId) },
	notFound: func(id string) *apiError {
		return errNotFound("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
	},
	filter: lookup(map[string]matcher[types.Subnet]{
		"vpc-id":    func(sn *types.Subnet, vs []string) bool { return oneOf(aws.ToString(sn.VpcId), vs) },
		"subnet-id": func(sn *types.Subnet, vs []string) bool { return oneOf(aws.ToString(sn.SubnetId), vs) },
	}),
	limits: pageLimits{min: 5},
}

func lookup[T any](filters map[string]matcher[T]) func(string) (matcher[T], bool) {
	return func(name string) (matcher[T], bool) {
		m, ok := filters[name]
		return m, ok
	}
}

func oneOf(v string, values []string) bool { return slices.Contains(values, v) }

// tagIn reports whether tags hold key with one of values.
func tagIn(tags []types.Tag, key string, values []string) bool {
	return slices.ContainsFunc(tags, func(t types.Tag) bool {
		return aws.ToString(t.Key) == key && oneOf(aws.ToString(t.Value), values)
	})
}

func errNotFound(code, format, id string) *apiError {
	return &apiError{http.StatusBadRequest, code, fmt.Sprintf(format, id)}
}
