package ec2fake

import (
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// State is the fake account's resources, each list sorted by ID. Its JSON form
// uses the SDK field names, like AWS CLI output, so describe-* output can be
// pasted in.
type State struct {
	VpcEndpoints      []types.VpcEndpoint      `json:",omitempty"`
	NetworkInterfaces []types.NetworkInterface `json:",omitempty"`
	ServiceDetails    []types.ServiceDetail    `json:",omitempty"`
	Subnets           []types.Subnet           `json:",omitempty"`
}

// The Put methods replace any resource with the same ID. The server keeps the
// value as given and never modifies it; the caller must not modify it (or the
// slices it points to) afterwards either, because requests read it without
// copying.

// PutEndpoint adds or replaces a VPC endpoint, keyed by VpcEndpointId.
func (s *Server) PutEndpoint(ep types.VpcEndpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endpoints[aws.ToString(ep.VpcEndpointId)] = ep
}

// DeleteEndpoint removes a VPC endpoint; its network interfaces stay.
func (s *Server) DeleteEndpoint(id string) { s.deleteEndpoint(id) }

func (s *Server) deleteEndpoint(id string) (types.VpcEndpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, ok := s.endpoints[id]
	delete(s.endpoints, id)
	return ep, ok
}

// SetEndpointState sets an endpoint's State to the raw wire string, e.g.
// "pendingAcceptance" or "available". Unknown IDs are ignored.
func (s *Server) SetEndpointState(id string, state string) { s.setEndpointState(id, state) }

func (s *Server) setEndpointState(id string, state string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, ok := s.endpoints[id]
	if ok {
		// ep is a copy, so requests already holding the old value are unaffected.
		ep.State = types.State(state)
		s.endpoints[id] = ep
	}
	return ok
}

// PutInterface adds or replaces a network interface, keyed by NetworkInterfaceId.
func (s *Server) PutInterface(ni types.NetworkInterface) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enis[aws.ToString(ni.NetworkInterfaceId)] = ni
}

// DeleteInterface removes a network interface.
func (s *Server) DeleteInterface(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.enis, id)
}

// PutService adds or replaces an endpoint service, keyed by ServiceName.
func (s *Server) PutService(sd types.ServiceDetail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services[aws.ToString(sd.ServiceName)] = sd
}

// PutSubnet adds or replaces a subnet, keyed by SubnetId.
func (s *Server) PutSubnet(sn types.Subnet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subnets[aws.ToString(sn.SubnetId)] = sn
}

// Load replaces all state.
func (s *Server) Load(eps []types.VpcEndpoint, nis []types.NetworkInterface, sds []types.ServiceDetail, sns []types.Subnet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
	for _, ep := range eps {
		s.endpoints[aws.ToString(ep.VpcEndpointId)] = ep
	}
	for _, ni := range nis {
		s.enis[aws.ToString(ni.NetworkInterfaceId)] = ni
	}
	for _, sd := range sds {
		s.services[aws.ToString(sd.ServiceName)] = sd
	}
	for _, sn := range sns {
		s.subnets[aws.ToString(sn.SubnetId)] = sn
	}
}

// reset empties the state; the caller holds mu (or owns s exclusively).
func (s *Server) reset() {
	s.endpoints = map[string]types.VpcEndpoint{}
	s.enis = map[string]types.NetworkInterface{}
	s.services = map[string]types.ServiceDetail{}
	s.subnets = map[string]types.Subnet{}
}

// Snapshot returns the current state.
func (s *Server) Snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return State{
		VpcEndpoints:      sortedValues(s.endpoints),
		NetworkInterfaces: sortedValues(s.enis),
		ServiceDetails:    sortedValues(s.services),
		Subnets:           sortedValues(s.subnets),
	}
}

// sortedValues lists m by key, which gives listings the stable order that
// offset-based paging tokens rely on.
func sortedValues[T any](m map[string]T) []T {
	out := make([]T, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
