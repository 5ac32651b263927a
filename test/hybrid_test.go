package test

// The snippets of docs/hybrid-dns.md, run: real Unbound, BIND (named) and dnsmasq on loopback
// ports, configured with the guide's text (read from the guide by its <!-- test: NAME -->
// markers, so that the two cannot drift) and forwarding to a coredns-vpce started here with the
// bundled example snapshot. The servers come from Debian's packages (make tools installs them);
// a missing one skips its subtest, or fails it with VPCE_REQUIRE_TOOLS=1 (requireTool).

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

const hybridGuide = "../docs/hybrid-dns.md"

// The coredns-vpce servers' addresses in the guide's snippets.
var hybridGuideServers = []string{"10.0.0.53", "10.0.1.53"}

const hybridCorefile = `.:0 {
    bind 127.0.0.1
    vpce {
        snapshot ../example/snapshot.json
    }
    forward . UPSTREAM
}`

// hybridSnippet returns the fenced block after <!-- test: name --> in the guide.
func hybridSnippet(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(hybridGuide)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)<!-- test: ` + regexp.QuoteMeta(name) + ` -->\n(~~~|` + "```" + `)[^\n]*\n(.*?)\n(~~~|` + "```" + `)\n`)
	m := re.FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s has no fenced block marked <!-- test: %s -->", hybridGuide, name)
	}
	return string(m[2])
}

// hybridServers replaces the guide's server addresses in a snippet with addr (in the snippet
// language's syntax for an address and port).
func hybridServers(t *testing.T, snippet, addr string) string {
	t.Helper()
	for _, s := range hybridGuideServers {
		if !strings.Contains(snippet, s) {
			t.Fatalf("the snippet no longer names the server %s:\n%s", s, snippet)
		}
		snippet = strings.ReplaceAll(snippet, s, addr)
	}
	return snippet
}

// hybridCheckConf runs a server's configuration checker.
func hybridCheckConf(t *testing.T, tool string, args ...string) {
	t.Helper()
	if out, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(tool), strings.Join(args, " "), err, out)
	}
}

// unboundHardening drops private addresses from answers outside private-domain, as a hardened
// resolver does: the guide's private-domain lines must let the endpoints' answers through.
const unboundHardening = `    private-address: 10.0.0.0/8
    private-address: 172.16.0.0/12
    private-address: 192.168.0.0/16`

// hybridUnbound starts Unbound on a loopback port, with options added to its server clause
// and clauses (forward zones, say) after it; names that they do not forward go nowhere. It
// returns Unbound's address.
func hybridUnbound(t *testing.T, options, clauses string) string {
	t.Helper()
	return hybridUnboundOn(t, testkit.FreePort(t), options, clauses)
}

// hybridUnboundOn is hybridUnbound on port.
func hybridUnboundOn(t *testing.T, port int, options, clauses string) string {
	t.Helper()
	unbound := requireTool(t, "unbound", "unbound")
	dir := t.TempDir()
	conf := testkit.UnboundConf(dir, port, options, clauses)
	file := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	hybridCheckConf(t, requireTool(t, "unbound-checkconf", "unbound"), file)
	testkit.StartProcess(t, nil, unbound, "-d", "-c", file)
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// hybridAsk asks name of the server at addr over UDP, without EDNS.
func hybridAsk(addr, name string, qtype uint16) (*dns.Msg, error) {
	return testkit.Ask("udp", addr, "", new(dns.Msg).SetQuestion(dns.Fqdn(name), qtype))
}

// hybridCheck asks the resolver at addr (which forwards to coredns-vpce at vpce) for names of
// the three zones and compares with what coredns-vpce answers.
func hybridCheck(t *testing.T, addr, vpce string) {
	t.Helper()
	// The resolver is up, and forwards amazonaws.com, once it answers the seed's name.
	want := []string{"172.20.128.22", "172.20.144.169"}
	testkit.Eventually(t, 15*time.Second, func() error {
		r, err := hybridAsk(addr, "ssm.ap-northeast-1.amazonaws.com", dns.TypeA)
		result := fmt.Sprint(err)
		if err == nil {
			if got := testkit.SortedAddrs(r.Answer); r.Rcode == dns.RcodeSuccess && slices.Equal(got, want) {
				return nil
			}
			result = fmt.Sprintf("%s %q", dns.RcodeToString[r.Rcode], testkit.SortedAddrs(r.Answer))
		}
		return fmt.Errorf("A ssm.ap-northeast-1.amazonaws.com through %s: %s, want %q", addr, result, want)
	})

	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"vpce-0bb20377a387ade86-njczioek.ssm.ap-northeast-1.vpce.amazonaws.com", dns.TypeA}, // regional name
		{"my-bucket.s3.ap-northeast-1.amazonaws.com", dns.TypeA},                             // wildcard
		{"sts.ap-northeast-1.api.aws", dns.TypeAAAA},                                         // api.aws, dualstack
		{"x.dkr-ecr.ap-northeast-1.on.aws", dns.TypeA},                                       // on.aws
		{"no-endpoint.ap-northeast-1.amazonaws.com", dns.TypeA},                              // vpce passes it to forward
	} {
		direct, err := hybridAsk(vpce, q.name, q.qtype)
		if err != nil || len(testkit.SortedAddrs(direct.Answer)) == 0 {
			t.Fatalf("%s %s from coredns-vpce: %v %v", dns.TypeToString[q.qtype], q.name, err, direct)
		}
		via, err := hybridAsk(addr, q.name, q.qtype)
		if err != nil {
			t.Errorf("%s %s through the resolver: %v", dns.TypeToString[q.qtype], q.name, err)
			continue
		}
		if got, want := testkit.SortedAddrs(via.Answer), testkit.SortedAddrs(direct.Answer); !slices.Equal(got, want) || via.Rcode != dns.RcodeSuccess {
			t.Errorf("%s %s through the resolver: %s %q, coredns-vpce answers %q", dns.TypeToString[q.qtype], q.name, dns.RcodeToString[via.Rcode], got, want)
		}
	}
	// A Resource endpoint's custom name: the resolver gets the CNAME chain resolved, the
	// default name's records from coredns-vpce's upstream.
	if r, err := hybridAsk(addr, exampleOrders, dns.TypeA); err != nil || testkit.Chain(r) != cnameChain(exampleOrders, exampleOrdersTgt) {
		t.Errorf("A %s through the resolver: %v %q, want %q", exampleOrders, err, chainOf(r), cnameChain(exampleOrders, exampleOrdersTgt))
	}
	// The last name went through coredns-vpce's forward, to the test's upstream.
	if r, err := hybridAsk(addr, "no-endpoint.ap-northeast-1.amazonaws.com", dns.TypeA); err != nil || !slices.Equal(testkit.SortedAddrs(r.Answer), []string{testkit.UpstreamAddr}) {
		t.Errorf("a name without an endpoint: %v %v, want coredns-vpce's upstream's %s", err, r, testkit.UpstreamAddr)
	}
}

// chainOf is testkit.Chain of a reply that may be missing.
func chainOf(m *dns.Msg) string {
	if m == nil {
		return "no reply"
	}
	return testkit.Chain(m)
}

func TestHybridGuide(t *testing.T) {
	vpce, _ := startServer(t, hybridCorefile)
	_, vpcePort, err := net.SplitHostPort(vpce)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("corefile", func(t *testing.T) {
		if _, err := checkCorefile(hybridGuide, hybridSnippet(t, "corefile")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("unbound", func(t *testing.T) {
		unbound := hybridUnbound(t, unboundHardening, hybridServers(t, hybridSnippet(t, "unbound"), "127.0.0.1@"+vpcePort))
		hybridCheck(t, unbound, vpce)
	})

	t.Run("bind", func(t *testing.T) {
		named := requireTool(t, "named", "bind9")
		dir := t.TempDir()
		port := testkit.FreePort(t)
		server := "127.0.0.1 port " + vpcePort
		conf := testkit.NamedConf(dir, port, testkit.Nowhere, hybridSnippet(t, "bind-options"), hybridServers(t, hybridSnippet(t, "bind-zones"), server))
		file := filepath.Join(dir, "named.conf")
		if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		hybridCheckConf(t, requireTool(t, "named-checkconf", "bind9"), file)
		testkit.StartProcess(t, nil, named, "-g", "-4", "-n", "1", "-c", file)
		hybridCheck(t, fmt.Sprintf("127.0.0.1:%d", port), vpce)
	})

	t.Run("dnsmasq", func(t *testing.T) {
		dnsmasq := requireTool(t, "dnsmasq", "dnsmasq-base")
		dir := t.TempDir()
		port := testkit.FreePort(t)
		file := filepath.Join(dir, "dnsmasq.conf")
		conf := hybridServers(t, hybridSnippet(t, "dnsmasq"), "127.0.0.1#"+vpcePort) + "\n"
		if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"--conf-file=" + file, "--keep-in-foreground", "--port=" + fmt.Sprint(port),
			"--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
			"--user=root", "--group=root", "--pid-file=", "--log-facility=-",
			"--stop-dns-rebind"} // hardened: private addresses dropped outside rebind-domain-ok
		hybridCheckConf(t, dnsmasq, append([]string{"--test"}, args...)...)
		testkit.StartProcess(t, nil, dnsmasq, args...)
		hybridCheck(t, fmt.Sprintf("127.0.0.1:%d", port), vpce)
	})
}
