package awsapi

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// Refresher reads one account's inventory, once per Refresh: the poller's refreshes and
// vpce-snapshot's exports both. It keeps the SDK client between refreshes, the last inventory
// read, whose network interfaces a partial listing reuses (a full listing every
// Query.FullRefreshEvery refreshes), and the private DNS names of hub endpoints' services,
// which change rarely: they are read again every servicesEvery refreshes, or when the
// endpoints need a service not read yet.
type Refresher struct {
	acct      awscfg.Account
	q         Query
	newClient func(context.Context, awscfg.Account) (API, error)
	api       API

	last     *inventory.Compact // nil until a listing succeeds
	partials int                // partial listings since the last full one

	services    []inventory.Service
	servicesFor []string
	servicesAge int
	servicesErr error // of the last read of the services, nil once one succeeds
}

// servicesEvery is how many refreshes pass between reads of the hub services' private names.
const servicesEvery = 10

// NewRefresher reads a with q. It calls nothing until Refresh.
func NewRefresher(a awscfg.Account, q Query) *Refresher {
	return &Refresher{acct: a, q: q, newClient: NewClient}
}

// Refresh reads the account's inventory, every page, or an error. What it returns is what the
// core builds from, and what the next partial listing reuses: nobody changes it. whole, if not
// nil, also gets the inventory in the SDK's types.
func (r *Refresher) Refresh(ctx context.Context, whole *inventory.Inventory) (*inventory.Compact, error) {
	if r.api == nil {
		ctx, cancel := context.WithTimeout(ctx, r.q.pageTimeout()) // bounds an instance metadata lookup
		defer cancel()
		api, err := r.newClient(ctx, r.acct)
		if err != nil {
			return nil, err
		}
		r.api = api
	}
	prev := r.last
	if r.partials+1 >= r.q.fullRefreshEvery() {
		prev = nil
	}
	inv, err := fetch(ctx, r.api, r.q, prev, whole)
	if err != nil {
		return nil, err
	}
	r.partials++
	if prev == nil {
		r.partials = 0
	}
	if r.q.Services {
		r.refreshServices(ctx, inv, whole)
	}
	// What the index is built from, and what a partial listing reuses and compares, is kept
	// until the next refresh, compact: the rest (policy documents, tags...) and the SDK's
	// types were garbage once their page was read.
	r.last = inv
	return inv, nil
}

// refreshServices attaches the hub services' private names to inv: read again every
// servicesEvery refreshes, when a new service appears or for whole (an export, which gets
// them as they are read), else the ones read before.
func (r *Refresher) refreshServices(ctx context.Context, inv *inventory.Compact, whole *inventory.Inventory) {
	needed := hubServices(inv.Endpoints)
	r.servicesAge++
	if r.servicesAge >= servicesEvery || !isSubset(needed, r.servicesFor) || whole != nil {
		details, err := fetchServices(ctx, r.api, needed, r.q.pageTimeout())
		r.servicesErr = err
		if err != nil {
			// The endpoints are fresh: serve them, with the service names read before.
			log.Warningf("Private DNS names of hub endpoints' services not refreshed from %s: %v", describe(r.acct), err)
		} else {
			k := inventory.NewCompactor()
			k.AddServices(details)
			r.services, r.servicesFor, r.servicesAge = k.Services, needed, 0
			if whole != nil {
				whole.ServiceDetails = details
			}
		}
	}
	inv.Services = r.services // few: shared by the inventories until read again
}

// Close closes the client's idle connections: a refresher done with leaves no connection (and
// no goroutine) behind.
func (r *Refresher) Close() { closeIdle(r.api) }

// region is the metrics' region label: the configured one, else the client's (from the
// environment, profile or instance metadata), else "default" until a client exists.
func (r *Refresher) region() string {
	if r.acct.Region != "" {
		return r.acct.Region
	}
	if c, ok := r.api.(*ec2.Client); ok {
		return c.Options().Region
	}
	return "default"
}

func isSubset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// Export reads every account once, with q, and merges them. It fails whole if any read
// fails, the hub services' names included: an exported snapshot is never partial.
func Export(ctx context.Context, accounts []awscfg.Account, q Query) (*inventory.Inventory, error) {
	parts := make([]*inventory.Inventory, 0, len(accounts))
	for _, a := range accounts {
		r := NewRefresher(a, q)
		inv := &inventory.Inventory{}
		_, err := r.Refresh(ctx, inv)
		if err == nil {
			err = r.servicesErr // a refresh serves without them; an export is never partial
		}
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		parts = append(parts, inv)
	}
	return inventory.Merge(parts...), nil
}
