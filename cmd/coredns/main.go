// Command coredns is CoreDNS built with the plugins of plugin.cfg, the vpce plugin among them.
package main

import (
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns-vpce/coredns-vpce/cmd/coredns/plugins" // plugin.cfg's plugins and order
)

// version is the coredns-vpce release; `make build` sets it from git.
var version = "dev"

func main() {
	caddy.AppName = "coredns-vpce"
	caddy.AppVersion = version + " (CoreDNS-" + coremain.CoreVersion + ")"
	coremain.Run()
}
