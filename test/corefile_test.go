package test

// Corefiles checked as this build reads them: its parser, its plugin list, and the setup of vpce
// and of the CoreDNS plugins whose setup only parses. The manifests' Corefiles, the image's and
// the hybrid DNS guide's go through it.

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"

	"github.com/coredns-vpce/coredns-vpce/cmd/coredns/plugins"
)

// deploySetups are the directives whose setup checkCorefile runs: vpce, and the plugins of
// CoreDNS whose setup only parses. The others are checked against the build's directive list
// only: kubernetes' setup needs a cluster, ready's and prometheus' register listeners in
// process-wide state.
var deploySetups = []string{"vpce", "forward", "cache", "health", "loadbalance", "loop", "acl"}

// checkCorefile parses a Corefile with this build's parser, checks that every directive is one
// of this build's plugins, and runs the setup of deploySetups' directives (vpce's included) on
// their blocks, so that an unknown or misspelt option fails.
func checkCorefile(name, corefile string) ([]caddyfile.ServerBlock, error) {
	blocks, err := caddyfile.Parse(name, strings.NewReader(corefile), nil)
	if err != nil {
		return nil, err
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("%s: no server block", name)
	}
	for _, sb := range blocks {
		var dirs []string
		for dir := range sb.Tokens {
			dirs = append(dirs, dir)
		}
		sort.Strings(dirs)
		for _, dir := range dirs {
			if !slices.Contains(plugins.Directives, dir) {
				return nil, fmt.Errorf("%s: server block %v: %q is not a plugin of this build (plugin.cfg)", name, sb.Keys, dir)
			}
			if !slices.Contains(deploySetups, dir) {
				continue
			}
			setup, err := caddy.DirectiveAction("dns", dir)
			if err != nil {
				return nil, err
			}
			c := caddy.NewTestController("dns", "")
			c.Dispenser = caddyfile.NewDispenserTokens(name, sb.Tokens[dir])
			c.ServerBlockKeys = sb.Keys
			if err := setup(c); err != nil {
				return nil, fmt.Errorf("%s: server block %v: %w", name, sb.Keys, err)
			}
		}
	}
	return blocks, nil
}

// directiveArgs returns the arguments of each occurrence of dir in sb, on its own line.
func directiveArgs(sb caddyfile.ServerBlock, dir string) [][]string {
	var all [][]string
	toks := sb.Tokens[dir]
	for i := 0; i < len(toks); i++ {
		if toks[i].Text != dir {
			continue
		}
		var args []string
		for j := i + 1; j < len(toks) && toks[j].Line == toks[i].Line && toks[j].Text != "{"; j++ {
			args = append(args, toks[j].Text)
		}
		all = append(all, args)
	}
	return all
}

// optionArgs returns the arguments of the option lines named option inside dir's blocks.
func optionArgs(sb caddyfile.ServerBlock, dir, option string) [][]string {
	var all [][]string
	toks := sb.Tokens[dir]
	for i, tok := range toks {
		if tok.Text != option || i == 0 || toks[i-1].Line == tok.Line {
			continue // not at the start of a line
		}
		var args []string
		for j := i + 1; j < len(toks) && toks[j].Line == tok.Line && toks[j].Text != "{" && toks[j].Text != "}"; j++ {
			args = append(args, toks[j].Text)
		}
		all = append(all, args)
	}
	return all
}

// listenPort returns the port of a health, ready or prometheus address, which must listen on
// every interface for the kubelet and Prometheus to reach it.
func listenPort(addr string) (int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	if host != "" && host != "0.0.0.0" && host != "::" {
		return 0, fmt.Errorf("%s listens on %s only: the kubelet and Prometheus would not reach it", addr, host)
	}
	return strconv.Atoi(port)
}

// TestDeployImageCorefile checks the image's default Corefile like the manifests' ones.
func TestDeployImageCorefile(t *testing.T) {
	if _, err := checkCorefile(deployImageConf, string(readDeployFile(t, deployImageConf))); err != nil {
		t.Fatal(err)
	}
}
