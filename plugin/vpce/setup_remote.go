package vpce

import (
	"context"
	"strings"
	"time"

	"github.com/coredns/caddy/caddyfile"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/remote"
)

// sharedWithRemote are the EC2 API source's options that S3 and URL snapshots take too.
var sharedWithRemote = map[string]bool{"region": true, "credentials": true, "cache_file": true}

// parseRemoteOption reads the options of S3 and URL snapshots.
func parseRemoteOption(c *caddyfile.Dispenser, s *settings, root, option string, args []string) error {
	if s.remoteOption == "" {
		s.remoteOption = option
	}
	if len(args) != 1 {
		return c.Errf("%s needs one value", option)
	}
	switch option {
	case "snapshot_refresh":
		d, err := time.ParseDuration(args[0])
		if err != nil || d <= 0 {
			return c.Errf("snapshot_refresh %q: want a positive duration such as 10s", args[0])
		}
		s.remote.Interval = d
	case "s3_endpoint":
		u, err := remote.ParseLocation(args[0])
		if err != nil || u.Scheme == "s3" {
			return c.Errf("s3_endpoint %q: want an http or https URL", args[0])
		}
		s.remote.S3.Endpoint = args[0]
	case "tls_ca":
		s.remote.CAFile = rooted(root, args[0])
	}
	return nil
}

// checkSnapshotOptions refuses options that the block's sources would not use: EC2 API
// options beside snapshots, region and credentials without an s3:// snapshot, cache_file
// and the remote options without an s3:// or http(s):// one.
func (s *settings) checkSnapshotOptions(c *caddyfile.Dispenser) error {
	var s3, remotes bool
	for _, loc := range s.snapshots {
		if remote.IsLocation(loc) {
			remotes = true
			s3 = s3 || strings.EqualFold(loc[:5], "s3://")
		}
	}
	switch {
	case len(s.snapshots) == 0 && s.remoteOption != "", len(s.snapshots) > 0 && !remotes && s.remoteOption != "":
		return c.Errf("%s is for s3:// and https:// snapshots", s.remoteOption)
	case len(s.snapshots) == 0:
		return nil
	case s.apiOption != "":
		return c.Errf("%s is for the EC2 API source; it cannot be combined with snapshot", s.apiOption)
	case !s3 && (len(s.regions) > 0 || s.acct.Profile != ""):
		return c.Errf("region and credentials are for the EC2 API source and s3:// snapshots")
	case !remotes && s.cacheFile != "":
		return c.Errf("cache_file is for the EC2 API source and s3:// and https:// snapshots")
	case len(s.regions) > 1:
		return c.Errf("region: s3:// snapshots are read in one region")
	}
	s.remote.Limits = s.limits
	s.remote.S3.Profile, s.remote.S3.CredFile = s.acct.Profile, s.acct.CredFile
	if len(s.regions) == 1 {
		s.remote.S3.Region = s.regions[0]
	}
	return nil
}

// snapshotSources reads every snapshot source once, so that CoreDNS refuses to start on a bad
// one, and hands them to m: the files as one source, each S3 object and URL as its own. An S3
// object or URL that cannot be reached is the exception when the cache file has a view: the
// resolver starts from it (a resolver must come up while the network is down), and the source
// is read in the background.
func (s *settings) snapshotSources(m *merger) error {
	var files []string
	var remotes []*remote.Source
	ctx := context.Background()
	for _, loc := range s.snapshots {
		if !remote.IsLocation(loc) {
			files = append(files, loc)
			continue
		}
		r, err := remote.New(ctx, loc, s.remote)
		if err != nil {
			return err
		}
		remotes = append(remotes, r)
	}
	var initial []*inventory.Compact
	var fs *inventory.Files
	if len(files) > 0 {
		var err error
		if fs, err = inventory.NewFiles(files, s.limits); err != nil {
			return err
		}
		m.sources, initial = append(m.sources, fs), append(initial, fs.TakeInitial())
	}
	if s.cacheFile != "" {
		m.cache = inventory.NewCacheFile(s.cacheFile, s.limits)
		m.loadCache()
	}
	for _, r := range remotes {
		err := r.Load(ctx)
		if err != nil && !(remote.Unreachable(err) && m.fallback != nil) {
			return err
		}
		if err != nil {
			log.Warningf("Starting from the cache file, %s is read in the background: %v", r, err)
		}
		m.sources, initial = append(m.sources, r), append(initial, r.TakeInitial())
	}
	for i, inv := range initial {
		if inv == nil {
			continue
		}
		if err := m.update(i, inv); err != nil {
			return err
		}
	}
	return nil
}
