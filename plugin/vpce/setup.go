package vpce

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/miekg/dns"
)

var log = clog.NewWithPlugin(pluginName)

func init() { plugin.Register(pluginName, setup) }

// defaultTTL is Route 53's TTL for endpoint records.
const defaultTTL = 60

// maxTTL keeps negative caching of a new endpoint's names within a day.
const maxTTL = 86400

// config is one vpce block of a Corefile.
type config struct {
	zones     []string
	build     buildOptions
	snapshots []string
}

func setup(c *caddy.Controller) error {
	cfg, err := parse(c)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	v, err := newVPCE(cfg)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	c.OnStartup(v.start)
	c.OnShutdown(v.stop)
	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler {
		v.Next = next
		return v
	})
	return nil
}

// newVPCE builds the handler and its sources from the configuration. Snapshot files are read
// here, so that CoreDNS refuses to start on a bad one.
func newVPCE(cfg *config) (*VPCE, error) {
	v := &VPCE{}
	v.zones, v.dotted = normalizeZones(cfg.zones)
	fs, err := newFileSource(cfg.snapshots)
	if err != nil {
		return nil, err
	}
	v.viewer = &viewer{opts: cfg.build, sources: []source{fs}, publish: v.view.Store}
	v.viewer.update(0, fs.initial)
	return v, nil
}

// start runs the sources in the background: start-up never waits for them.
func (v *VPCE) start() error {
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	v.viewer.run(ctx, &v.running)
	return nil
}

// stop ends the sources and waits for them, so that a reload leaves no goroutine behind.
func (v *VPCE) stop() error {
	if v.cancel != nil {
		v.cancel()
	}
	v.running.Wait()
	return nil
}

// parse reads one vpce block. It only reads the Corefile: no file or AWS API is touched.
func parse(c *caddy.Controller) (*config, error) {
	root := dnsserver.GetConfig(c).Root
	cfg := &config{build: buildOptions{ttl: defaultTTL}}
	for i := 0; c.Next(); i++ {
		if i > 0 {
			return nil, plugin.ErrOnce
		}
		cfg.zones = plugin.OriginsFromArgsOrServerBlock(c.RemainingArgs(), c.ServerBlockKeys)
		for c.NextBlock() {
			if err := parseOption(c, cfg, root); err != nil {
				return nil, err
			}
		}
	}
	if len(cfg.snapshots) == 0 {
		return nil, c.Err("no source: set snapshot FILE...")
	}
	return cfg, nil
}

func parseOption(c *caddy.Controller, cfg *config, root string) error {
	option := c.Val()
	args := c.RemainingArgs()
	switch option {
	case "snapshot":
		if len(args) == 0 {
			return c.Errf("snapshot needs at least one file")
		}
		for _, f := range args {
			if !filepath.IsAbs(f) && root != "" {
				f = filepath.Join(root, f)
			}
			cfg.snapshots = append(cfg.snapshots, f)
		}
	case "ttl":
		if len(args) != 1 {
			return c.Errf("ttl needs one value in seconds")
		}
		ttl, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil || ttl > maxTTL {
			return c.Errf("ttl %q: want whole seconds from 0 to %d", args[0], maxTTL)
		}
		cfg.build.ttl = uint32(ttl)
	case "authoritative":
		if len(args) != 0 {
			return c.Errf("authoritative takes no value")
		}
		cfg.build.authoritative = true
	default:
		return c.Errf("unknown property %q", option)
	}
	return nil
}

// normalizeZones lower-cases the zones and pairs each with its dotted suffix form.
func normalizeZones(zones []string) (plain, dotted []string) {
	for _, z := range zones {
		z = strings.ToLower(dns.Fqdn(z))
		plain = append(plain, z)
		dotted = append(dotted, "."+z)
	}
	return plain, dotted
}
