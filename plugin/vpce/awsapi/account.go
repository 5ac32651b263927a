package awsapi

import (
	"fmt"
	"strings"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
)

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
func key(a awscfg.Account, q Query) string {
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
func label(a awscfg.Account) string {
	switch {
	case a.RoleARN != "":
		return a.RoleARN
	case a.Profile != "":
		return "profile " + a.Profile
	}
	return "default"
}

// describe names the account's EC2 API in logs: never a credential, only where it is.
func describe(a awscfg.Account) string {
	if w := a.String(); w != "" {
		return "EC2 API " + w
	}
	return "EC2 API"
}
