package ec2fake

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// State is one fake account's resources, each list sorted by ID. Its JSON form
// uses the SDK field names, like AWS CLI output, so describe-* output can be
// pasted in.
type State struct {
	VpcEndpoints      []types.VpcEndpoint      `json:",omitempty"`
	NetworkInterfaces []types.NetworkInterface `json:",omitempty"`
	ServiceDetails    []types.ServiceDetail    `json:",omitempty"`
	Subnets           []types.Subnet           `json:",omitempty"`
	// VpcEndpointAssociations are listed by DescribeVpcEndpointAssociations.
	VpcEndpointAssociations []types.VpcEndpointAssociation `json:",omitempty"`
}

// The Put methods replace any resource with the same ID. The server keeps the
// value as given and never modifies it; the caller must not modify it (or the
// slices it points to) afterwards either, because requests read it without
// copying.

// PutEndpoint adds or replaces a VPC endpoint, keyed by VpcEndpointId.
func (a *account) PutEndpoint(ep types.VpcEndpoint) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.endpoints[aws.ToString(ep.VpcEndpointId)] = ep
}

// DeleteEndpoint removes a VPC endpoint; its network interfaces stay.
func (a *account) DeleteEndpoint(id string) { a.deleteEndpoint(id) }

func (a *account) deleteEndpoint(id string) (types.VpcEndpoint, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ep, ok := a.endpoints[id]
	delete(a.endpoints, id)
	return ep, ok
}

// SetEndpointState sets an endpoint's State to the raw wire string, e.g.
// "pendingAcceptance" or "available". Unknown IDs are ignored.
func (a *account) SetEndpointState(id string, state string) { a.setEndpointState(id, state) }

func (a *account) setEndpointState(id string, state string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	ep, ok := a.endpoints[id]
	if ok {
		// ep is a copy, so requests already holding the old value are unaffected.
		ep.State = types.State(state)
		a.endpoints[id] = ep
	}
	return ok
}

// PutInterface adds or replaces a network interface, keyed by NetworkInterfaceId.
func (a *account) PutInterface(ni types.NetworkInterface) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.enis[aws.ToString(ni.NetworkInterfaceId)] = ni
}

// DeleteInterface removes a network interface.
func (a *account) DeleteInterface(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.enis, id)
}

// PutService adds or replaces an endpoint service, keyed by ServiceName.
func (a *account) PutService(sd types.ServiceDetail) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.services[aws.ToString(sd.ServiceName)] = sd
}

// PutSubnet adds or replaces a subnet, keyed by SubnetId.
func (a *account) PutSubnet(sn types.Subnet) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.subnets[aws.ToString(sn.SubnetId)] = sn
}

// PutAssociation adds or replaces an association of a Resource or ServiceNetwork endpoint,
// keyed by Id.
func (a *account) PutAssociation(as types.VpcEndpointAssociation) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.assocs[aws.ToString(as.Id)] = as
}

// SetAssociationAccessibility sets an association's AssociatedResourceAccessibility, e.g.
// "Inaccessible". Unknown IDs are ignored.
func (a *account) SetAssociationAccessibility(id, value string) {
	a.setAssociationAccessibility(id, value)
}

func (a *account) setAssociationAccessibility(id, value string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	as, ok := a.assocs[id]
	if ok {
		as.AssociatedResourceAccessibility = aws.String(value) // a copy, as in setEndpointState
		a.assocs[id] = as
	}
	return ok
}

// DeleteAssociation removes an association.
func (a *account) DeleteAssociation(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.assocs, id)
}

// ReadState reads a state file: a JSON object with any of State's keys, each holding AWS CLI
// style JSON (the output of aws ec2 describe-vpc-endpoints, or a coredns-vpce snapshot).
func ReadState(path string) (State, error) {
	var st State
	f, err := os.Open(path)
	if err != nil {
		return st, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// Load replaces all state but the associations, which it empties (PutAssociation adds them).
func (a *account) Load(eps []types.VpcEndpoint, nis []types.NetworkInterface, sds []types.ServiceDetail, sns []types.Subnet) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reset()
	for _, ep := range eps {
		a.endpoints[aws.ToString(ep.VpcEndpointId)] = ep
	}
	for _, ni := range nis {
		a.enis[aws.ToString(ni.NetworkInterfaceId)] = ni
	}
	for _, sd := range sds {
		a.services[aws.ToString(sd.ServiceName)] = sd
	}
	for _, sn := range sns {
		a.subnets[aws.ToString(sn.SubnetId)] = sn
	}
}

// reset empties the state; the caller holds mu (or owns a exclusively).
func (a *account) reset() {
	a.endpoints = map[string]types.VpcEndpoint{}
	a.enis = map[string]types.NetworkInterface{}
	a.services = map[string]types.ServiceDetail{}
	a.subnets = map[string]types.Subnet{}
	a.assocs = map[string]types.VpcEndpointAssociation{}
}

// Snapshot returns the current state.
func (a *account) Snapshot() State {
	a.mu.Lock()
	defer a.mu.Unlock()
	return State{
		VpcEndpoints:            sortedValues(a.endpoints),
		NetworkInterfaces:       sortedValues(a.enis),
		ServiceDetails:          sortedValues(a.services),
		Subnets:                 sortedValues(a.subnets),
		VpcEndpointAssociations: sortedValues(a.assocs),
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
