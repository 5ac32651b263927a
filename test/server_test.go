// Package test holds the integration tests: the real coredns-vpce server, started from a
// Corefile with the build's plugin list, queried over real sockets.
package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	coretest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"

	_ "github.com/coredns-vpce/coredns-vpce/cmd/coredns/plugins" // the build's plugins, in plugin.cfg's order
)

// upstream is a stub for the resolver behind forward: it answers every A query with
// upstreamAddr, so a test can tell which queries went on.
const upstreamAddr = "192.0.2.53"

func startUpstream(t *testing.T) string {
	t.Helper()
	s := dnstest.NewServer(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		if r.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(r.Question[0].Name + " 30 IN A " + upstreamAddr)
			m.Answer = []dns.RR{rr}
		}
		w.WriteMsg(m)
	})
	t.Cleanup(s.Close)
	return s.Addr
}

// startServer starts CoreDNS on an ephemeral loopback port with corefile, in which
// UPSTREAM stands for the stub upstream's address.
func startServer(t *testing.T, corefile string) (udp, tcp string) {
	t.Helper()
	corefile = strings.ReplaceAll(corefile, "UPSTREAM", startUpstream(t))
	i, udp, tcp, err := coretest.CoreDNSServerAndPorts(corefile)
	if err != nil {
		t.Fatalf("could not start CoreDNS: %v", err)
	}
	t.Cleanup(func() { i.Stop(); i.ShutdownCallbacks() }) // as on SIGTERM: the pollers stop too
	return udp, tcp
}

// query sends one question over net ("udp" or "tcp") with EDNS0 and a 4096-byte buffer, as
// the seed's dig did.
func query(t *testing.T, net, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(4096, false)
	c := &dns.Client{Net: net, Timeout: 2 * time.Second}
	resp, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", dns.TypeToString[qtype], name, net, err)
	}
	return resp
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

// eventually retries check until it succeeds or the deadline passes.
func eventually(t *testing.T, within time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
