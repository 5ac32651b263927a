package vpce

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/fault"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awsapi"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/remote"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/coredns/coredns/plugin/transfer"
	"github.com/miekg/dns"
)

var log = clog.NewWithPlugin(pluginName)

func init() { plugin.Register(pluginName, setup) }

const (
	defaultTTL = 60    // Route 53's TTL for endpoint records
	maxTTL     = 86400 // keeps negative caching of a new endpoint's names within a day
)

// settings is one vpce block of a Corefile.
type settings struct {
	server    string // the metrics' server label
	zones     []string
	build     index.Options
	snapshots []string
	rpz       string   // the Response Policy Zone's origin (rpz ZONE), or ""
	blockKeys []string // the server block's zones, which its queries are for

	// The EC2 API source, used when there are no snapshots.
	regions   []string
	roles     []role
	acct      awscfg.Account // where every poller of the block calls: credentials, endpoint
	query     awsapi.Query   // what every poller of the block asks: filters, VPCs, limits
	refresh   time.Duration
	cacheFile string
	apiOption string // the first API option seen, to name it if snapshot is set too
	trusted   []netip.Prefix
	limits    inventory.Limits
	// releaseMemory returns a large inventory's memory to the operating system after its
	// build (release_memory).
	releaseMemory bool

	// S3 and URL snapshots (setup_remote.go).
	remote       remote.Options
	remoteOption string // the first option for them seen, to name it if there are none
}

// role is an assume_role line.
type role struct{ arn, externalID string }

func setup(c *caddy.Controller) error {
	s, err := parse(c)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	s.server = serverLabel(dnsserver.GetConfig(c))
	v, err := newVPCE(s)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	conf := dnsserver.GetConfig(c)
	v.merger.fault = fault.Take(conf) // an integration test's; none otherwise
	c.OnStartup(func() error {
		if v.rpz != nil { // the transfer plugin is set up after vpce: look for it now
			t, ok := conf.Handler("transfer").(*transfer.Transfer)
			if !ok {
				return plugin.Error(pluginName, fmt.Errorf("rpz %s: this server block has no transfer plugin to serve it: add `transfer %s { to ADDRESS... }`", s.rpz, s.rpz))
			}
			v.rpz.xfr = t
		}
		v.merger.setView(conf.ViewName)
		return v.start()
	})
	c.OnShutdown(v.stop)
	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler {
		v.Next = next
		return v
	})
	return nil
}

// newVPCE builds the handler and its sources. Snapshots (files, S3 objects, URLs) are read
// here, so that CoreDNS refuses to start on a bad one, and a credentials file must exist (the
// SDK would skip a missing one in silence); the EC2 API is not called until start, in the
// background.
func newVPCE(s *settings) (*VPCE, error) {
	v := &VPCE{}
	v.zones = newZoneList(s.zones...)
	v.trusted = s.trusted
	v.gaps = newGapReport(s.server)
	v.merger = &merger{opts: s.build, build: index.Build, publish: v.index.Store, server: s.server, zones: strings.Join(v.zones.names, ","),
		releaseMemory: s.releaseMemory}
	if s.rpz != "" {
		v.rpz = newRPZ(s.rpz, rpzSerialFile(s.cacheFile), v.zones.holds)
		v.merger.rpz = v.rpz
	}
	if f := s.acct.CredFile; f != "" {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("credentials %s %s: %w", s.acct.Profile, f, err)
		}
	}
	if len(s.snapshots) > 0 {
		if err := s.snapshotSources(v.merger); err != nil {
			return nil, err
		}
		return v, nil
	}
	for _, a := range s.accounts() {
		v.merger.sources = append(v.merger.sources, awsapi.NewSource(a, s.query, s.refresh))
	}
	if s.cacheFile != "" {
		v.merger.cache = inventory.NewCacheFile(s.cacheFile, s.limits)
		v.merger.loadCache()
	}
	return v, nil
}

// accounts lists what to poll: each role (or the default credentials) in each region.
func (s *settings) accounts() []awscfg.Account {
	regions, roles := s.regions, s.roles
	if len(regions) == 0 {
		regions = []string{""}
	}
	if len(roles) == 0 {
		roles = []role{{}}
	}
	var accts []awscfg.Account
	for _, r := range roles {
		for _, region := range regions {
			a := s.acct
			a.Region, a.RoleARN, a.ExternalID = region, r.arn, r.externalID
			accts = append(accts, a)
		}
	}
	return accts
}

// start runs the sources in the background: start-up never waits for AWS.
func (v *VPCE) start() error {
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	v.merger.run(ctx, &v.running)
	v.running.Go(func() { v.gaps.summarize(ctx) })
	if v.rpz != nil {
		v.rpz.announce() // secondaries learn of a restart's serial now rather than at their refresh
		v.running.Go(func() { v.rpz.notify(ctx) })
	}
	views.add(v.merger)
	return nil
}

// stop ends the sources and waits for them, so that a reload leaves no goroutine behind.
func (v *VPCE) stop() error {
	if v.cancel != nil {
		v.cancel()
	}
	v.running.Wait()
	views.remove(v.merger)
	return nil
}

// parse reads one vpce block. It only reads the Corefile: no file is opened, no API called.
func parse(c *caddy.Controller) (*settings, error) {
	return parseBlock(&c.Dispenser, dnsserver.GetConfig(c).Root, c.ServerBlockKeys)
}

// parseBlock reads one vpce block from c; relative paths are taken from root, and the zones
// default to the server block's keys.
func parseBlock(c *caddyfile.Dispenser, root string, keys []string) (*settings, error) {
	s := &settings{build: index.Options{TTL: defaultTTL}, refresh: awsapi.DefaultInterval, limits: inventory.DefaultLimits, releaseMemory: true}
	for i := 0; c.Next(); i++ {
		if i > 0 {
			return nil, plugin.ErrOnce
		}
		s.zones = plugin.OriginsFromArgsOrServerBlock(c.RemainingArgs(), keys)
		s.blockKeys = plugin.OriginsFromArgsOrServerBlock(nil, keys)
		for c.NextBlock() {
			if err := parseOption(c, s, root); err != nil {
				return nil, err
			}
		}
	}
	if err := s.checkSnapshotOptions(c); err != nil {
		return nil, err
	}
	s.query.VPCs = s.build.VPCs
	s.query.Subnets = s.build.Affinity != index.AffinityNone
	s.query.MaxEndpoints = s.limits.Endpoints
	s.query.Services = s.build.PrivateDNS == index.PrivateDNSAll
	return s, nil
}

// choose sets *dst to the value of the one word in args, among words.
func choose[T any](c *caddyfile.Dispenser, option string, args []string, dst *T, words []string, values []T) error {
	if len(args) == 1 {
		if i := slices.Index(words, args[0]); i >= 0 {
			*dst = values[i]
			return nil
		}
	}
	return c.Errf("%s needs one of %s", option, strings.Join(words, ", "))
}

// parseCIDRs parses CIDRs, or single addresses as /32 and /128.
func parseCIDRs(args []string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	for _, a := range args {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			addr, aerr := netip.ParseAddr(a)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR", a)
			}
			p = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		prefixes = append(prefixes, p.Masked())
	}
	return prefixes, nil
}

func parseOption(c *caddyfile.Dispenser, s *settings, root string) error {
	option := c.Val()
	args := c.RemainingArgs()
	switch option {
	case "snapshot":
		if len(args) == 0 {
			return c.Errf("snapshot needs at least one file")
		}
		for _, f := range args {
			if remote.IsLocation(f) {
				if _, err := remote.ParseLocation(f); err != nil {
					return c.Errf("snapshot %v", err)
				}
				s.snapshots = append(s.snapshots, f)
				continue
			}
			s.snapshots = append(s.snapshots, rooted(root, f))
		}
		return nil
	case "snapshot_refresh", "s3_endpoint", "tls_ca":
		return parseRemoteOption(c, s, root, option, args)
	case "ttl":
		if len(args) != 1 {
			return c.Errf("ttl needs one value in seconds")
		}
		ttl, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil || ttl > maxTTL {
			return c.Errf("ttl %q: want whole seconds from 0 to %d", args[0], maxTTL)
		}
		s.build.TTL = uint32(ttl)
		return nil
	case "authoritative":
		if len(args) != 0 {
			return c.Errf("authoritative takes no value")
		}
		s.build.Authoritative = true
		return nil
	case "private_dns":
		return choose(c, option, args, &s.build.PrivateDNS, []string{"enabled", "all", "off"}, []index.PrivateDNSMode{index.PrivateDNSEnabled, index.PrivateDNSAll, index.PrivateDNSOff})
	case "release_memory":
		return choose(c, option, args, &s.releaseMemory, []string{"on", "off"}, []bool{true, false})
	case "affinity":
		return choose(c, option, args, &s.build.Affinity, []string{"prefer", "only"}, []index.Affinity{index.AffinityPrefer, index.AffinityOnly})
	case "zone":
		if len(args) < 2 {
			return c.Errf("zone needs an AZ name or ID and at least one CIDR")
		}
		prefixes, err := parseCIDRs(args[1:])
		if err != nil {
			return c.Errf("zone %s: %v", args[0], err)
		}
		s.build.AZRanges = append(s.build.AZRanges, index.AZRange{AZ: strings.ToLower(args[0]), Prefixes: prefixes})
		return nil
	case "client_vpc":
		if len(args) < 2 || !strings.HasPrefix(args[0], "vpc-") {
			return c.Errf("client_vpc needs a VPC id and at least one CIDR")
		}
		prefixes, err := parseCIDRs(args[1:])
		if err != nil {
			return c.Errf("client_vpc %s: %v", args[0], err)
		}
		s.build.VPCRanges = append(s.build.VPCRanges, index.VPCRange{VPC: args[0], Prefixes: prefixes})
		return nil
	case "trusted_forwarder":
		if len(args) == 0 {
			return c.Errf("trusted_forwarder needs at least one CIDR")
		}
		prefixes, err := parseCIDRs(args)
		if err != nil {
			return c.Errf("trusted_forwarder: %v", err)
		}
		s.trusted = append(s.trusted, prefixes...)
		return nil
	case "max_bytes", "max_endpoints":
		if len(args) != 1 {
			return c.Errf("%s needs one number", option)
		}
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || n <= 0 || n > math.MaxInt32 && option == "max_endpoints" {
			return c.Errf("%s %q: want a positive whole number", option, args[0])
		}
		if option == "max_bytes" {
			s.limits.Bytes = n
		} else {
			s.limits.Endpoints = int(n)
		}
		return nil
	case "rpz":
		if len(args) != 1 {
			return c.Errf("rpz needs one zone name, such as vpce.rpz")
		}
		if s.rpz != "" {
			return c.Errf("rpz given twice")
		}
		zone := strings.ToLower(dns.Fqdn(args[0]))
		if _, ok := dns.IsDomainName(zone); !ok || zone == "." {
			return c.Errf("rpz %q: want a zone name, such as vpce.rpz", args[0])
		}
		if len(s.blockKeys) > 0 && plugin.Zones(s.blockKeys).Matches(zone) == "" {
			return c.Errf("rpz %s: the server block (%s) is not asked for it: add %s to its zones", zone, strings.Join(s.blockKeys, " "), zone)
		}
		s.rpz = zone
		return nil
	case "vpc":
		if len(args) == 0 {
			return c.Errf("vpc needs at least one VPC id")
		}
		for _, id := range args {
			if !strings.HasPrefix(id, "vpc-") {
				return c.Errf("vpc %q: want a VPC id such as vpc-0123456789abcdef0", id)
			}
		}
		s.build.VPCs = append(s.build.VPCs, args...)
		return nil
	}
	// The rest configure the EC2 API source; region, credentials and cache_file S3 and URL
	// snapshots too.
	if s.apiOption == "" && !sharedWithRemote[option] {
		s.apiOption = option
	}
	switch option {
	case "region":
		if len(args) == 0 {
			return c.Errf("region needs at least one region name")
		}
		s.regions = append(s.regions, args...)
	case "filter":
		if len(args) < 2 {
			return c.Errf("filter needs a name and at least one value")
		}
		s.query.Filters = append(s.query.Filters, awsapi.Filter{Name: args[0], Values: args[1:]})
	case "credentials":
		if len(args) < 1 || len(args) > 2 {
			return c.Errf("credentials needs a profile and optionally a file")
		}
		if s.acct.Profile != "" {
			return c.Errf("credentials given twice")
		}
		s.acct.Profile = args[0]
		if len(args) == 2 {
			s.acct.CredFile = rooted(root, args[1])
		}
	case "assume_role":
		if len(args) < 1 || len(args) > 2 {
			return c.Errf("assume_role needs a role ARN and optionally an external id")
		}
		if !strings.HasPrefix(args[0], "arn:") || !strings.Contains(args[0], ":role/") {
			return c.Errf("assume_role %q: want a role ARN such as arn:aws:iam::123456789012:role/coredns-vpce", args[0])
		}
		r := role{arn: args[0]}
		if len(args) == 2 {
			r.externalID = args[1]
		}
		s.roles = append(s.roles, r)
	case "aws_endpoint":
		if len(args) != 1 {
			return c.Errf("aws_endpoint needs one URL")
		}
		if u, err := url.Parse(args[0]); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return c.Errf("aws_endpoint %q: want an http or https URL", args[0])
		}
		s.acct.Endpoint = args[0]
	case "refresh":
		if len(args) != 1 {
			return c.Errf("refresh needs one duration")
		}
		d, err := time.ParseDuration(args[0])
		if err != nil || d <= 0 {
			return c.Errf("refresh %q: want a positive duration such as 1m", args[0])
		}
		s.refresh = d
	case "full_refresh":
		n, err := strconv.Atoi(strings.Join(args, " "))
		if len(args) != 1 || err != nil || n < 1 {
			return c.Errf("full_refresh needs one positive whole number of refreshes")
		}
		s.query.FullRefreshEvery = n
	case "cache_file":
		if len(args) != 1 {
			return c.Errf("cache_file needs one file")
		}
		s.cacheFile = rooted(root, args[0])
	default:
		return c.Errf("unknown property %q", option)
	}
	return nil
}

// rpzSerialFile is where the rpz zone's serial is kept across restarts: beside the cache file,
// which keeps the view across them. Without one the clock keeps serials growing.
func rpzSerialFile(cacheFile string) string {
	if cacheFile == "" {
		return ""
	}
	return cacheFile + ".rpz-serial"
}

// serverLabel is the server label CoreDNS's metrics give queries of this server block: its
// transport and first listen address, as the server's address is formed.
func serverLabel(cfg *dnsserver.Config) string {
	host := ""
	if len(cfg.ListenHosts) > 0 {
		host = cfg.ListenHosts[0]
	}
	addr := net.JoinHostPort(host, cfg.Port)
	if a, err := net.ResolveTCPAddr("tcp", addr); err == nil {
		addr = a.String()
	}
	return cfg.Transport + "://" + addr
}

// rooted takes a relative path from the root plugin's directory, as the hosts plugin does.
func rooted(root, path string) string {
	if !filepath.IsAbs(path) && root != "" {
		return filepath.Join(root, path)
	}
	return path
}
