package ec2fake

import (
	"net/url"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// account is one AWS account's resources, faults and request log. The
// Server's own state is its default account's; Account holds the others.
// Its methods are the state, fault and request-log API of both.
type account struct {
	id string // "" for the default account

	mu        sync.Mutex
	endpoints map[string]types.VpcEndpoint
	enis      map[string]types.NetworkInterface
	services  map[string]types.ServiceDetail // keyed by ServiceName
	subnets   map[string]types.Subnet
	assocs    map[string]types.VpcEndpointAssociation // keyed by Id
	faults    []Fault
	log       []Request
}

func newAccount(id string) *account {
	a := &account{id: id}
	a.reset()
	return a
}

// Account is the state, faults and request log of one account other than the
// Server's default one. Requests reach it when signed with credentials that
// AssumeRole issued for one of its roles (see Server.AddRole). It has the
// same methods as the Server for its state, faults and request log.
type Account struct {
	*account
}

// ID is the account's 12-digit ID, or "" for the default account.
func (a *Account) ID() string { return a.id }

// Account returns the account with the given ID, creating it empty on first
// use; Account("") is the default account, the Server's own state. Requests
// signed with any access key that AssumeRole did not issue go to the default
// account.
func (s *Server) Account(id string) *Account {
	if id == "" {
		return &Account{s.account}
	}
	s.iamMu.Lock()
	defer s.iamMu.Unlock()
	return s.accountLocked(id)
}

// Calls counts the requests received for action, including failed ones.
func (a *account) Calls(action string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, r := range a.log {
		if r.Action == action {
			n++
		}
	}
	return n
}

// Requests returns a copy of the request log, oldest first.
func (a *account) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Request, len(a.log))
	for i, r := range a.log {
		r.Params = cloneValues(r.Params)
		out[i] = r
	}
	return out
}

// ResetCalls empties the request log.
func (a *account) ResetCalls() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log = nil
}

func (a *account) record(r Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log = append(a.log, r)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
