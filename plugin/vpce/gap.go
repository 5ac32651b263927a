package vpce

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"

	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The gap report: queries for AWS service names (<service>.<region>.amazonaws.com and
// <service>.<region>.api.aws) that no endpoint serves and that went on to the next plugin.
// Those clients reach the service over the public path: NAT charges, and failures in private
// subnets.
var gapQueries = promauto.NewCounterVec(prometheus.CounterOpts{
	Namespace: plugin.Namespace, Subsystem: pluginName, Name: "gap_queries_total",
	Help: "Queries for AWS service names that no endpoint serves, passed on, by service and region.",
}, []string{"server", "service", "region"})

// maxGapServices caps the distinct services a server reports; later ones count as "other".
const maxGapServices = 200

// gapSummaryEvery is how often the gap report is logged.
const gapSummaryEvery = 10 * time.Minute

// gapReport counts one plugin instance's gaps, for the metric and the periodic log summary.
type gapReport struct {
	server string
	every  time.Duration // how often the summary is logged: gapSummaryEvery
	guard  guard.Step    // of the summaries

	mu       sync.Mutex
	services map[string]bool   // distinct services counted so far
	recent   map[string]uint64 // "service.region" -> queries since the last summary
}

// observe counts name (lower-case FQDN) if it is an AWS service name. name is the query's
// buffer: what is kept of it is copied.
func (g *gapReport) observe(name []byte) {
	svc, region, ok := awsServiceName(name)
	if !ok {
		return
	}
	g.mu.Lock()
	key := string(svc) + "." + region
	service := key[:len(svc)] // the copy, for the map and the metric's label
	if !g.services[service] {
		if len(g.services) >= maxGapServices {
			service, key = "other", "other."+region
		} else {
			g.services[service] = true
		}
	}
	g.recent[key]++
	g.mu.Unlock()
	gapQueries.WithLabelValues(g.server, service, region).Inc()
}

// awsServiceName splits <...>.<service>.<region>.amazonaws.com. and <...>.<service>.<region>.api.aws.
// into the service (the label before the region, a part of name) and a known region (one of
// awsRegions).
func awsServiceName(name []byte) (service []byte, region string, ok bool) {
	var rest []byte
	switch {
	case hasSuffix(name, ".amazonaws.com."):
		rest = name[:len(name)-len(".amazonaws.com.")]
	case hasSuffix(name, ".api.aws."):
		rest = name[:len(name)-len(".api.aws.")]
	default:
		return nil, "", false
	}
	i := bytes.LastIndexByte(rest, '.')
	if i < 0 {
		return nil, "", false
	}
	for _, r := range awsRegions {
		if string(rest[i+1:]) == r {
			region = r
		}
	}
	if region == "" {
		return nil, "", false
	}
	rest = rest[:i]
	service = rest[bytes.LastIndexByte(rest, '.')+1:]
	return service, region, len(service) > 0
}

// awsRegions are the region names the gap report counts, which keeps its labels bounded.
var awsRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-northeast-1",
	"ap-northeast-2", "ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1",
	"eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2",
	"eu-north-1", "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
	"us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1", "eusc-de-east-1",
}

// summarize logs, every g.every, the gaps counted since the last summary.
func (g *gapReport) summarize(ctx context.Context) {
	t := time.NewTicker(g.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		g.summary()
	}
}

// summary logs the gaps counted since the last one. One that panics is lost; the next one
// counts afresh.
func (g *gapReport) summary() {
	_ = g.guard.Run(guard.GapReport, func() error {
		if s := g.take(); s != "" {
			log.Infof("Gap report: queries passed on for AWS services without an endpoint in the last %s: %s", g.every, s)
		}
		return nil
	})
}

// take returns the counts since the last call, most queried first, and resets them.
func (g *gapReport) take() string {
	g.mu.Lock()
	recent := g.recent
	g.recent = map[string]uint64{}
	g.mu.Unlock()
	keys := make([]string, 0, len(recent))
	for k := range recent {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if recent[a] != recent[b] {
			return int(recent[b]) - int(recent[a])
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, recent[k]))
	}
	return strings.Join(parts, ", ")
}

func newGapReport(server string) *gapReport {
	return &gapReport{server: server, every: gapSummaryEvery, services: map[string]bool{}, recent: map[string]uint64{}}
}
