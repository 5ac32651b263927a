package awsapi

import (
	"fmt"
	"strings"
	"time"
)

// Account says where to call: one account, through its credentials or a role, in one region.
type Account struct {
	Region     string // empty: the SDK's default (environment, profile, instance metadata)
	Profile    string
	CredFile   string
	RoleARN    string
	ExternalID string
	Endpoint   string // EC2 API endpoint override
	Retries    int    // the SDK's attempts of one call; 0: defaultRetries
}

// defaultRetries is the SDK's own attempts of a call (transient errors, throttling), inside
// one refresh; the poller's backoff spaces out the refreshes.
const defaultRetries = 3

// Query says what to ask of an account.
type Query struct {
	Filters      []Filter // extra DescribeVpcEndpoints filters
	VPCs         []string
	MaxEndpoints int  // refuse a result of more endpoints (max_endpoints)
	Subnets      bool // always learn the VPCs' subnets (affinity), not only for inbound-only endpoints
	Services     bool // read the private DNS names of hub endpoints' services (private_dns all)
	// PageTimeout bounds one page's request, retries included, so that a hung connection
	// fails the refresh instead of stalling it; 0: defaultPageTimeout.
	PageTimeout time.Duration
	// FullRefreshEvery is how often a refresh lists every network interface: the others list
	// the endpoints and only the interfaces that can have changed. 0: defaultFullRefresh.
	FullRefreshEvery int
}

// Filter is a filter of DescribeVpcEndpoints: the values one of the endpoints' fields may have.
type Filter struct {
	Name   string
	Values []string
}

const (
	defaultPageTimeout = 30 * time.Second
	defaultFullRefresh = 10
)

func (q Query) pageTimeout() time.Duration {
	if q.PageTimeout > 0 {
		return q.PageTimeout
	}
	return defaultPageTimeout
}

func (q Query) fullRefreshEvery() int {
	if q.FullRefreshEvery > 0 {
		return q.FullRefreshEvery
	}
	return defaultFullRefresh
}

// key identifies the account and what is asked of it, for sharing pollers.
func key(a Account, q Query) string {
	parts := []string{a.Region, a.Profile, a.CredFile, a.RoleARN, a.ExternalID, a.Endpoint, strings.Join(q.VPCs, ","), fmt.Sprint(q.MaxEndpoints), fmt.Sprint(q.fullRefreshEvery())}
	if q.Subnets {
		parts = append(parts, "+subnets")
	}
	if q.Services {
		parts = append(parts, "+services")
	}
	for _, f := range q.Filters {
		parts = append(parts, f.Name+"="+strings.Join(f.Values, ","))
	}
	return fmt.Sprintf("%q", parts)
}

// label names the account in metrics: the role it assumes, else the profile it reads, else
// "default" (the SDK's default credentials), so that each account of a block has its series.
func (a Account) label() string {
	switch {
	case a.RoleARN != "":
		return a.RoleARN
	case a.Profile != "":
		return "profile " + a.Profile
	}
	return "default"
}

// String names the account in logs: never a credential, only where it is.
func (a Account) String() string {
	s := "EC2 API"
	if a.Region != "" {
		s += " " + a.Region
	}
	if a.RoleARN != "" {
		s += " as " + a.RoleARN
	}
	if a.Profile != "" {
		s += " profile " + a.Profile
	}
	if a.Endpoint != "" {
		s += " at " + a.Endpoint
	}
	return s
}
