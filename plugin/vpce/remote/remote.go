// Package remote is the vpce plugin's source of snapshots kept in S3 objects or served over
// HTTP(S): one exporter writes, any number of resolvers read. Every check after the first
// read is a conditional GET, so that an unchanged snapshot costs one bodiless 304 and no
// parse. Like inventory's snapshot files it takes inventory.Parse's format, gzip or not.
package remote

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	clog "github.com/coredns/coredns/plugin/pkg/log"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

var log = clog.NewWithPlugin("vpce")

// Defaults of Options.
const (
	DefaultInterval = 10 * time.Second
	defaultTimeout  = 30 * time.Second
)

// Options are what the sources of one vpce block share.
type Options struct {
	Interval time.Duration // how often a source is checked (snapshot_refresh), jittered by ±10%
	Limits   inventory.Limits
	// S3 is where S3 objects are read: Region, Profile, CredFile, and Endpoint (s3_endpoint,
	// addressed path-style).
	S3 awscfg.Account
	// CAFile (tls_ca) adds a PEM bundle to the system's roots for https:// sources.
	CAFile string
	// Timeout bounds one check, the body included; 0: 30s.
	Timeout time.Duration
}

// IsLocation tells a remote location (s3://, https://, http://) from a file name.
func IsLocation(arg string) bool {
	for _, scheme := range []string{"s3://", "https://", "http://"} {
		if len(arg) > len(scheme) && strings.EqualFold(arg[:len(scheme)], scheme) {
			return true
		}
	}
	return false
}

// ParseLocation checks a remote location: s3://BUCKET/KEY, or an http(s) URL with a host.
func ParseLocation(arg string) (*url.URL, error) {
	u, err := url.Parse(arg)
	if err != nil {
		return nil, err
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme == "s3" && (u.Host == "" || strings.Trim(u.Path, "/") == ""):
		return nil, fmt.Errorf("%q: want s3://BUCKET/KEY", arg)
	case (u.Scheme == "https" || u.Scheme == "http") && u.Hostname() == "":
		return nil, fmt.Errorf("%q: want a URL with a host", arg)
	case u.Scheme != "s3" && u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("%q: want s3://, https:// or http://", arg)
	}
	return u, nil
}

// name is how logs and metrics name a location: without credentials or query, which may
// hold a signature.
func name(u *url.URL) string {
	n := *u
	n.User, n.RawQuery, n.ForceQuery, n.Fragment = nil, "", false, ""
	return n.String()
}
