// Package test holds the integration tests: the real coredns-vpce server, started from a
// Corefile with the build's plugin list, queried over real sockets.
package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	coretest "github.com/coredns/coredns/test"

	_ "github.com/coredns-vpce/coredns-vpce/cmd/coredns/plugins" // the build's plugins, in plugin.cfg's order
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// startServer starts CoreDNS on an ephemeral loopback port with corefile, in which
// UPSTREAM stands for the address of a stub upstream (testkit.StartUpstream).
func startServer(t *testing.T, corefile string) (udp, tcp string) {
	t.Helper()
	corefile = strings.ReplaceAll(corefile, "UPSTREAM", testkit.StartUpstream(t))
	i, udp, tcp, err := coretest.CoreDNSServerAndPorts(corefile)
	if err != nil {
		t.Fatalf("could not start CoreDNS: %v", err)
	}
	t.Cleanup(func() { i.Stop(); i.ShutdownCallbacks() }) // as on SIGTERM: the pollers stop too
	return udp, tcp
}

// copySnapshot copies the bundled example snapshot into a temporary directory.
func copySnapshot(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../example/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "snapshot.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}
