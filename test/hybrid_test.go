package test

// The snippets of docs/hybrid-dns.md, run: real Unbound, BIND (named) and dnsmasq on loopback
// ports, configured with the guide's text (read from the guide by its <!-- test: NAME -->
// markers, so that the two cannot drift) and forwarding to a coredns-vpce started here with the
// bundled example snapshot. The servers come from Debian's packages (make tools installs them);
// a missing one skips its subtest, or fails it with VPCE_REQUIRE_TOOLS=1 (requireTool).

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
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

// hybridPort returns a loopback port free for both UDP and TCP (for now).
func hybridPort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free loopback port")
	return 0
}

// syncBuffer collects a process's output for the failure message.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// hybridCheckConf runs a server's configuration checker.
func hybridCheckConf(t *testing.T, tool string, args ...string) {
	t.Helper()
	if out, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(tool), strings.Join(args, " "), err, out)
	}
}

// hybridStart starts a server in the foreground; the test's end kills it (this process only).
func hybridStart(t *testing.T, tool string, args ...string) *syncBuffer {
	t.Helper()
	out := new(syncBuffer)
	cmd := exec.Command(tool, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s's output:\n%s", filepath.Base(tool), out.String())
		}
	})
	return out
}

// hybridUnbound starts Unbound on a loopback port, with options added to its server clause
// and clauses (forward zones, say) after it; names that they do not forward go nowhere. It
// returns Unbound's address.
func hybridUnbound(t *testing.T, options, clauses string) string {
	t.Helper()
	unbound := requireTool(t, "unbound", "unbound")
	dir := t.TempDir()
	port := hybridPort(t)
	conf := fmt.Sprintf(`server:
    interface: 127.0.0.1
    port: %d
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "%s"
    pidfile: "%s/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
%s
remote-control:
    control-enable: no

%s

# Nothing else leaves the loopback interface.
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@9
`, port, dir, dir, options, clauses)
	file := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	hybridCheckConf(t, requireTool(t, "unbound-checkconf", "unbound"), file)
	hybridStart(t, unbound, "-d", "-c", file)
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func hybridAsk(addr, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	c := &dns.Client{Net: "udp", Timeout: time.Second}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

// hybridAddrs returns the A and AAAA addresses of an answer, sorted.
func hybridAddrs(m *dns.Msg) []string {
	var addrs []string
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			addrs = append(addrs, rr.A.String())
		case *dns.AAAA:
			addrs = append(addrs, rr.AAAA.String())
		}
	}
	slices.Sort(addrs)
	return addrs
}

// hybridCheck asks the resolver at addr (which forwards to coredns-vpce at vpce) for names of
// the three zones and compares with what coredns-vpce answers.
func hybridCheck(t *testing.T, addr, vpce string) {
	t.Helper()
	// The resolver is up, and forwards amazonaws.com, once it answers the seed's name.
	want := []string{"172.20.128.22", "172.20.144.169"}
	deadline := time.Now().Add(15 * time.Second)
	for {
		r, err := hybridAsk(addr, "ssm.ap-northeast-1.amazonaws.com", dns.TypeA)
		result := fmt.Sprint(err)
		if err == nil {
			if got := hybridAddrs(r); r.Rcode == dns.RcodeSuccess && slices.Equal(got, want) {
				break
			}
			result = fmt.Sprintf("%s %q", dns.RcodeToString[r.Rcode], hybridAddrs(r))
		}
		if time.Now().After(deadline) {
			t.Fatalf("A ssm.ap-northeast-1.amazonaws.com through %s: %s, want %q", addr, result, want)
		}
		time.Sleep(100 * time.Millisecond)
	}

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
		if err != nil || len(hybridAddrs(direct)) == 0 {
			t.Fatalf("%s %s from coredns-vpce: %v %v", dns.TypeToString[q.qtype], q.name, err, direct)
		}
		via, err := hybridAsk(addr, q.name, q.qtype)
		if err != nil {
			t.Errorf("%s %s through the resolver: %v", dns.TypeToString[q.qtype], q.name, err)
			continue
		}
		if got, want := hybridAddrs(via), hybridAddrs(direct); !slices.Equal(got, want) || via.Rcode != dns.RcodeSuccess {
			t.Errorf("%s %s through the resolver: %s %q, coredns-vpce answers %q", dns.TypeToString[q.qtype], q.name, dns.RcodeToString[via.Rcode], got, want)
		}
	}
	// The last name went through coredns-vpce's forward, to the test's upstream.
	if r, err := hybridAsk(addr, "no-endpoint.ap-northeast-1.amazonaws.com", dns.TypeA); err != nil || !slices.Equal(hybridAddrs(r), []string{upstreamAddr}) {
		t.Errorf("a name without an endpoint: %v %v, want coredns-vpce's upstream's %s", err, r, upstreamAddr)
	}
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
		unbound := hybridUnbound(t, `    # A hardened resolver: private addresses are dropped from answers outside private-domain.
    private-address: 10.0.0.0/8
    private-address: 172.16.0.0/12
    private-address: 192.168.0.0/16`, hybridServers(t, hybridSnippet(t, "unbound"), "127.0.0.1@"+vpcePort))
		hybridCheck(t, unbound, vpce)
	})

	t.Run("bind", func(t *testing.T) {
		named := requireTool(t, "named", "bind9")
		dir := t.TempDir()
		port := hybridPort(t)
		server := "127.0.0.1 port " + vpcePort
		conf := fmt.Sprintf(`options {
    directory "%s";
    pid-file "%s/named.pid";
    session-keyfile "%s/session.key";
    listen-on port %d { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion yes;
    allow-query { 127.0.0.1; };
    allow-recursion { 127.0.0.1; };
    // No trust anchor, no root priming: nothing leaves the loopback interface.
    dnssec-validation no;
    forwarders { 127.0.0.1 port 9; };
    forward only;
%s
};
controls { };

%s
`, dir, dir, dir, port, hybridSnippet(t, "bind-options"), hybridServers(t, hybridSnippet(t, "bind-zones"), server))
		file := filepath.Join(dir, "named.conf")
		if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		hybridCheckConf(t, requireTool(t, "named-checkconf", "bind9"), file)
		hybridStart(t, named, "-g", "-4", "-n", "1", "-c", file)
		hybridCheck(t, fmt.Sprintf("127.0.0.1:%d", port), vpce)
	})

	t.Run("dnsmasq", func(t *testing.T) {
		dnsmasq := requireTool(t, "dnsmasq", "dnsmasq-base")
		dir := t.TempDir()
		port := hybridPort(t)
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
		hybridStart(t, dnsmasq, args...)
		hybridCheck(t, fmt.Sprintf("127.0.0.1:%d", port), vpce)
	})
}
