package test

// The view as a Response Policy Zone (rpz ZONE, docs/hybrid-dns.md section 5): real BIND,
// Unbound and PowerDNS Recursor pull the zone from a coredns-vpce started here, configured with
// the guide's snippets, and answer endpoint names from it; coredns-vpce's query log shows they
// never asked it for them.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	coretest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/rpz"
)

// rpzCorefile serves the zone on PORT to the secondaries at TO; SOURCE is the vpce block's
// source, and the log plugin records every query coredns-vpce gets.
const rpzCorefile = `.:PORT {
    bind 127.0.0.1
    log
    vpce {
        SOURCE
        rpz vpce.rpz
    }
    transfer vpce.rpz {
        to TO
    }
    forward . UPSTREAM
}`

func rpzServer(t *testing.T, port int, source string, to ...string) {
	t.Helper()
	r := strings.NewReplacer("PORT", fmt.Sprint(port), "SOURCE", source, "TO", strings.Join(to, " "))
	startServer(t, r.Replace(rpzCorefile))
}

// rpzReplace replaces old in a snippet of the guide with new, failing if the snippet lost it.
func rpzReplace(t *testing.T, snippet string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(snippet, pairs[i]) {
			t.Fatalf("the snippet no longer holds %q:\n%s", pairs[i], snippet)
		}
		snippet = strings.ReplaceAll(snippet, pairs[i], pairs[i+1])
	}
	return snippet
}

// rpzBind starts BIND on port, a secondary of the zone from the primary on primaryPort,
// forwarding everything else to upstream, with the guide's options and zone.
func rpzBind(t *testing.T, port, primaryPort int, upstream string) string {
	t.Helper()
	zone := rpzReplace(t, hybridSnippet(t, "rpz-bind-zone"),
		"primaries { 10.0.0.53; 10.0.1.53; };", fmt.Sprintf("primaries port %d { 127.0.0.1; };", primaryPort),
		"/var/cache/bind/vpce.rpz", filepath.Join(t.TempDir(), "vpce.rpz"))
	return rpzBindWith(t, port, upstream, zone)
}

// rpzBindWith starts BIND on port with the guide's policy options and the zone clause zone,
// forwarding everything else to upstream.
func rpzBindWith(t *testing.T, port int, upstream, zone string) string {
	t.Helper()
	named := requireTool(t, "named", "bind9")
	dir := t.TempDir()
	conf := testkit.NamedConf(dir, port, upstream, hybridSnippet(t, "rpz-bind-options"), zone+"\nlogging { category rpz { default_stderr; }; };")
	file := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	hybridCheckConf(t, requireTool(t, "named-checkconf", "bind9"), file)
	testkit.StartProcess(t, nil, named, "-g", "-4", "-n", "1", "-c", file)
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// rpzUnbound starts Unbound, hardened, with the guide's rpz clause pulling the zone from the
// primary on primaryPort, and the AWS zones forwarded to upstream.
func rpzUnbound(t *testing.T, port, primaryPort int, upstream string) string {
	t.Helper()
	return rpzUnboundWith(t, port, upstream, rpzReplace(t, hybridSnippet(t, "rpz-unbound"),
		"primary: 10.0.0.53\n    primary: 10.0.1.53", fmt.Sprintf("primary: 127.0.0.1@%d", primaryPort)))
}

// rpzUnboundWith starts Unbound, hardened, with the rpz clause clause and the AWS zones
// forwarded to upstream.
func rpzUnboundWith(t *testing.T, port int, upstream, clause string) string {
	t.Helper()
	up := strings.Replace(upstream, ":", "@", 1)
	for _, zone := range []string{"amazonaws.com", "on.aws"} {
		clause += fmt.Sprintf("\nforward-zone:\n    name: %q\n    forward-addr: %s\n", zone, up)
	}
	options := unboundHardening + "\n" + hybridSnippet(t, "rpz-unbound-options")
	return hybridUnboundOn(t, port, options, clause)
}

// rpzPowerDNS starts PowerDNS Recursor with the guide's rpzPrimary line, forwarding everything
// else to upstream.
func rpzPowerDNS(t *testing.T, port, primaryPort int, upstream string) string {
	t.Helper()
	recursor := requireTool(t, "pdns_recursor", "pdns-recursor")
	dir := t.TempDir()
	lua := rpzReplace(t, hybridSnippet(t, "rpz-pdns"), `{"10.0.0.53", "10.0.1.53"}`, fmt.Sprintf(`{"127.0.0.1:%d"}`, primaryPort))
	conf := fmt.Sprintf(`config-dir=%s
socket-dir=%s
local-address=127.0.0.1
local-port=%d
daemon=no
write-pid=no
allow-from=127.0.0.0/8
dont-query=
forward-zones=.=%s
dnssec=off
lua-config-file=%s/rpz.lua
loglevel=6
`, dir, dir, port, upstream, dir)
	for name, data := range map[string]string{"recursor.conf": conf, "rpz.lua": lua + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testkit.StartProcess(t, nil, recursor, "--config-dir="+dir)
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// The seed's names and others, as a resolver answers them from the example's zone
// (testkit.SortedAnswer; "upstream": from the resolver's upstream).
var rpzWant = []struct {
	name  string
	qtype uint16
	want  string
}{
	{"ssm.ap-northeast-1.amazonaws.com.", dns.TypeA, "172.20.128.22 172.20.144.169"},
	{"vpce-0bb20377a387ade86-njczioek.ssm.ap-northeast-1.vpce.amazonaws.com.", dns.TypeA, "172.20.128.22 172.20.144.169"},
	{"vpce-0bb20377a387ade86-njczioek-ap-northeast-1a.ssm.ap-northeast-1.vpce.amazonaws.com.", dns.TypeA, "172.20.128.22"},
	{"my-bucket.s3.ap-northeast-1.amazonaws.com.", dns.TypeA, "172.20.130.41 172.20.150.7"},
	{"ssm.ap-northeast-1.amazonaws.com.", dns.TypeAAAA, ""}, // NODATA: the upstream would answer
	{"sts.ap-northeast-1.amazonaws.com.", dns.TypeAAAA, "2406:da14:abc:8a00:1f2e:3d4c:5b6a:7981 2406:da14:abc:8c00:9e8d:7c6b:5a49:3821"},
	{"no-endpoint.ap-northeast-1.amazonaws.com.", dns.TypeA, "upstream"},
	{"no-endpoint.ap-northeast-1.amazonaws.com.", dns.TypeAAAA, "upstream"},
}

// rpzCheck asks the resolver at addr for rpzWant's names and the example's custom name, once it
// has the zone.
func rpzCheck(t *testing.T, addr string) {
	t.Helper()
	rpzCheckNames(t, addr)
	// The custom name's CNAME from the zone; its target resolved by the resolver, upstream.
	if got := testkit.Chain(rpzQuery(t, addr, exampleOrders, dns.TypeA)); got != cnameChain(exampleOrders, exampleOrdersTgt) {
		t.Errorf("%s: %q, want %q", exampleOrders, got, cnameChain(exampleOrders, exampleOrdersTgt))
	}
}

// rpzCheckNames asks the resolver at addr for rpzWant's names, once it has the zone.
func rpzCheckNames(t *testing.T, addr string) {
	t.Helper()
	first := rpzWant[0]
	testkit.Eventually(t, 30*time.Second, func() error {
		m, err := hybridAsk(addr, first.name, first.qtype)
		if err != nil {
			return err
		}
		if got := testkit.SortedAnswer(m); got != first.want {
			return fmt.Errorf("%s through %s: %q, want %q", first.name, addr, got, first.want)
		}
		return nil
	})
	for _, q := range rpzWant {
		if got := rpzAsk(t, addr, q.name, q.qtype); got != q.want {
			t.Errorf("%s %s: %q, want %q", dns.TypeToString[q.qtype], q.name, got, q.want)
		}
	}
}

func rpzQuery(t *testing.T, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m, err := hybridAsk(addr, name, qtype)
	if err != nil {
		t.Fatalf("%s %s through %s: %v", dns.TypeToString[qtype], name, addr, err)
	}
	return m
}

func rpzAsk(t *testing.T, addr, name string, qtype uint16) string {
	t.Helper()
	return testkit.SortedAnswer(rpzQuery(t, addr, name, qtype))
}

// queried reports whether coredns-vpce's query log holds a question for name.
func queried(logs *testkit.SyncBuffer, name string) bool {
	return strings.Contains(logs.String(), " IN "+name+" ")
}

func TestRPZSecondaries(t *testing.T) {
	logs := testkit.CaptureLog(t)
	upstream := testkit.StartDualUpstream(t)
	primary := testkit.FreePort(t)
	resolvers := []struct {
		name  string
		port  int
		start func(t *testing.T, port, primaryPort int, upstream string) string
	}{
		{"bind", testkit.FreePort(t), rpzBind},
		{"unbound", testkit.FreePort(t), rpzUnbound},
		{"powerdns", testkit.FreePort(t), rpzPowerDNS},
	}
	var to []string
	for _, r := range resolvers {
		to = append(to, fmt.Sprintf("127.0.0.1:%d", r.port))
	}
	rpzServer(t, primary, "snapshot ../example/snapshot.json", to...)

	t.Run("corefile", func(t *testing.T) {
		if _, err := checkCorefile(hybridGuide, hybridSnippet(t, "rpz-corefile")); err != nil {
			t.Fatal(err)
		}
	})
	for _, r := range resolvers {
		t.Run(r.name, func(t *testing.T) {
			rpzCheck(t, r.start(t, r.port, primary, upstream))
		})
	}
	// None of them asked coredns-vpce for a name; asked directly, it logs the question.
	for _, q := range append(rpzWant, struct {
		name  string
		qtype uint16
		want  string
	}{exampleOrders, dns.TypeA, ""}) {
		if queried(logs, q.name) {
			t.Errorf("coredns-vpce was asked for %s", q.name)
		}
	}
	testkit.Query(t, "udp", fmt.Sprintf("127.0.0.1:%d", primary), rpzWant[0].name, dns.TypeA)
	testkit.Eventually(t, 5*time.Second, func() error { // the log plugin writes after the reply
		if !queried(logs, rpzWant[0].name) {
			return fmt.Errorf("a question asked directly is not in the query log:\n%s", logs)
		}
		return nil
	})
}

// Live mode: an endpoint created, then deleted, shows up in BIND's and Unbound's answers and
// goes again within seconds, carried by NOTIFY (the SOA's refresh is a minute).
func TestRPZFollowsTheAccount(t *testing.T) {
	logs := testkit.CaptureLog(t)
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1", "10.0.2.1"},
		Names: []string{"vpce-01-abc.ssm.us-east-1.vpce.amazonaws.com", "ssm.us-east-1.amazonaws.com"}})
	upstream := testkit.StartDualUpstream(t)
	primary, bindPort, unboundPort := testkit.FreePort(t), testkit.FreePort(t), testkit.FreePort(t)
	rpzServer(t, primary, fmt.Sprintf("region us-east-1\n        aws_endpoint %s\n        refresh 200ms", fake.URL()),
		fmt.Sprintf("127.0.0.1:%d", bindPort), fmt.Sprintf("127.0.0.1:%d", unboundPort))
	secondaries := []struct{ name, addr string }{
		{"BIND", rpzBind(t, bindPort, primary, upstream)},
		{"Unbound", rpzUnbound(t, unboundPort, primary, upstream)},
	}

	// within waits until every secondary answers name with want, and says how long it took.
	within := func(name, want string) string {
		t.Helper()
		start := time.Now()
		var took []string
		for _, s := range secondaries {
			testkit.Eventually(t, 10*time.Second, func() error {
				m, err := hybridAsk(s.addr, name, dns.TypeA)
				if err != nil {
					return err
				}
				if got := testkit.SortedAnswer(m); got != want {
					return fmt.Errorf("%s through %s: %q, want %q", name, s.name, got, want)
				}
				return nil
			})
			took = append(took, fmt.Sprintf("%s %v", s.name, time.Since(start).Round(time.Millisecond)))
		}
		return strings.Join(took, ", ")
	}
	within("ssm.us-east-1.amazonaws.com.", "10.0.1.1 10.0.2.1")
	within("sts.us-east-1.amazonaws.com.", "upstream")
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-02", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.2"},
		Names: []string{"vpce-02-def.sts.us-east-1.vpce.amazonaws.com", "sts.us-east-1.amazonaws.com"}})
	t.Logf("created: answered by %s", within("sts.us-east-1.amazonaws.com.", "10.0.1.2"))
	fake.DeleteEndpoint("vpce-01")
	t.Logf("deleted: gone from %s", within("ssm.us-east-1.amazonaws.com.", "upstream"))
	for _, name := range []string{"ssm.us-east-1.amazonaws.com.", "sts.us-east-1.amazonaws.com."} {
		if queried(logs, name) {
			t.Errorf("coredns-vpce was asked for %s", name)
		}
	}
}

// soaSerial is the zone's serial as the server at addr answers it, 0 before it has a view.
func soaSerial(t *testing.T, addr string) uint32 {
	t.Helper()
	m := testkit.Query(t, "udp", addr, "vpce.rpz.", dns.TypeSOA)
	if len(m.Answer) != 1 {
		return 0
	}
	return m.Answer[0].(*dns.SOA).Serial
}

// With a cache file the serial survives a restart: the same view keeps it, a new one gets a
// later one.
func TestRPZSerialAcrossRestart(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1"},
		Names: []string{"ssm.us-east-1.amazonaws.com"}})
	cache := filepath.Join(t.TempDir(), "cache.json")
	port := testkit.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	corefile := strings.NewReplacer("PORT", fmt.Sprint(port), "TO", "127.0.0.2:9", "UPSTREAM", testkit.StartUpstream(t),
		"SOURCE", fmt.Sprintf("region us-east-1\n        aws_endpoint %s\n        refresh 100ms\n        cache_file %s", fake.URL(), cache)).Replace(rpzCorefile)
	start := func() func() {
		i, _, _, err := coretest.CoreDNSServerAndPorts(corefile)
		if err != nil {
			t.Fatal(err)
		}
		return func() { i.Stop(); i.ShutdownCallbacks() }
	}

	stop := start()
	var first uint32
	testkit.Eventually(t, 10*time.Second, func() error {
		if first = soaSerial(t, addr); first == 0 {
			return fmt.Errorf("no serial yet")
		}
		return nil
	})
	stop()
	if _, err := os.Stat(cache + ".rpz-serial"); err != nil {
		t.Fatal(err)
	}

	stop = start()
	t.Cleanup(stop)
	if got := soaSerial(t, addr); got != first { // from the cache file, before AWS answers
		t.Errorf("after a restart: serial %d, was %d", got, first)
	}
	time.Sleep(500 * time.Millisecond) // refreshes of the same view
	if got := soaSerial(t, addr); got != first {
		t.Errorf("the same view after a restart: serial %d, was %d", got, first)
	}
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-02", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.2"},
		Names: []string{"sts.us-east-1.amazonaws.com"}})
	testkit.Eventually(t, 10*time.Second, func() error {
		if got := soaSerial(t, addr); !rpz.Older(first, got) {
			return fmt.Errorf("a new view: serial %d, was %d", got, first)
		}
		return nil
	})
}

// Transfers go to the "to" addresses only, over TCP; IXFR from the current serial is the SOA.
func TestRPZTransfer(t *testing.T) {
	port := testkit.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	rpzServer(t, port, "snapshot ../example/snapshot.json", "127.0.0.2:9")
	axfr := new(dns.Msg).SetAxfr("vpce.rpz.")

	if m := testkit.Exchange(t, "tcp", addr, "127.0.0.1", axfr); m.Rcode != dns.RcodeRefused || len(m.Answer) != 0 {
		t.Errorf("AXFR from 127.0.0.1, not a secondary: %s %v", dns.RcodeToString[m.Rcode], m.Answer)
	}
	if m := testkit.Exchange(t, "udp", addr, "127.0.0.2", axfr); m.Rcode != dns.RcodeRefused {
		t.Errorf("AXFR over UDP: %s", dns.RcodeToString[m.Rcode])
	}
	m := testkit.Exchange(t, "tcp", addr, "127.0.0.2", axfr)
	n := len(m.Answer)
	if n < 3 || m.Answer[0].Header().Rrtype != dns.TypeSOA || m.Answer[n-1].Header().Rrtype != dns.TypeSOA ||
		!strings.Contains(testkit.Chain(m), "ssm.ap-northeast-1.amazonaws.com.vpce.rpz. A 172.20.128.22") {
		t.Fatalf("AXFR from the secondary: %s", testkit.Chain(m))
	}
	serial := m.Answer[0].(*dns.SOA).Serial
	ixfr := new(dns.Msg).SetIxfr("vpce.rpz.", serial, "localhost.", "hostmaster.localhost.")
	if m := testkit.Exchange(t, "tcp", addr, "127.0.0.2", ixfr); len(m.Answer) != 1 || m.Answer[0].(*dns.SOA).Serial != serial {
		t.Errorf("IXFR from the current serial: %s", testkit.Chain(m))
	}
	ixfr = new(dns.Msg).SetIxfr("vpce.rpz.", serial-1, "localhost.", "hostmaster.localhost.")
	if m := testkit.Exchange(t, "tcp", addr, "127.0.0.2", ixfr); len(m.Answer) != n {
		t.Errorf("IXFR from an older serial: %d records, want the whole zone's %d", len(m.Answer), n)
	}
	// The zone answers its own names too: what an operator asks to see what it holds.
	if got := testkit.SortedAnswer(testkit.Query(t, "udp", addr, "ssm.ap-northeast-1.amazonaws.com.vpce.rpz.", dns.TypeA)); got != "172.20.128.22 172.20.144.169" {
		t.Errorf("A ssm.ap-northeast-1.amazonaws.com.vpce.rpz.: %q", got)
	}

	// Without the transfer plugin the zone could not be served: CoreDNS does not start.
	_, _, _, err := coretest.CoreDNSServerAndPorts(".:0 {\n    vpce {\n        snapshot ../example/snapshot.json\n        rpz vpce.rpz\n    }\n}")
	if err == nil || !strings.Contains(err.Error(), "rpz vpce.rpz.: this server block has no transfer plugin") {
		t.Errorf("rpz without transfer: %v", err)
	}
}

// vpce-snapshot -format rpz writes a zone that BIND and Unbound load as the policy from a file.
func TestRPZFile(t *testing.T) {
	bin := testkit.BuildCommand(t, "../cmd/vpce-snapshot")
	fake := exampleAccount(t)
	file := filepath.Join(t.TempDir(), "vpce.rpz")
	cmd := exec.Command(bin, "-format", "rpz", "-out", file, "-o", "region ap-northeast-1", "-o", "aws_endpoint "+fake.URL(), "-o", "rpz vpce.rpz")
	cmd.Env = userEnv(t)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vpce-snapshot: %v\n%s", err, msg)
	}
	upstream := testkit.StartDualUpstream(t)
	t.Run("bind", func(t *testing.T) {
		rpzCheck(t, rpzBindWith(t, testkit.FreePort(t), upstream,
			fmt.Sprintf("zone \"vpce.rpz\" {\n    type primary;\n    file %q;\n    allow-query { localhost; };\n};", file)))
	})
	t.Run("unbound", func(t *testing.T) {
		rpzCheck(t, rpzUnboundWith(t, testkit.FreePort(t), upstream, fmt.Sprintf("rpz:\n    name: vpce.rpz.\n    zonefile: %q\n", file)))
	})
	// Knot Resolver 5 answers the zone's addresses, and ignores its CNAMEs to other names (its
	// log says so): the custom name resolves upstream, as the guide says.
	t.Run("knot", func(t *testing.T) {
		addr := rpzKnot(t, file, upstream)
		rpzCheckNames(t, addr)
		if got := testkit.Answer(rpzQuery(t, addr, exampleOrders, dns.TypeA)); got != "upstream" {
			t.Errorf("%s: %q, want the upstream's answer", exampleOrders, got)
		}
	})
}

// rpzKnot starts Knot Resolver with the guide's policy on the zone file file, forwarding
// everything else to upstream. The guide's watch of the file needs lua-cqueues, which Debian's
// package only recommends: the test loads the file once.
func rpzKnot(t *testing.T, file, upstream string) string {
	t.Helper()
	kresd := requireTool(t, "kresd", "knot-resolver")
	dir := t.TempDir()
	port := testkit.FreePort(t)
	policy := rpzReplace(t, hybridSnippet(t, "rpz-knot"), "'/var/lib/knot-resolver/vpce.rpz', true", fmt.Sprintf("%q, false", file))
	// No trust anchor: nothing leaves the loopback interface, as in the other resolvers' tests.
	conf := fmt.Sprintf("net.listen('127.0.0.1', %d, { kind = 'dns' })\ntrust_anchors.remove('.')\n%s\npolicy.add(policy.all(policy.FORWARD('%s')))\n",
		port, policy, strings.Replace(upstream, ":", "@", 1))
	path := filepath.Join(dir, "kresd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	testkit.StartProcess(t, nil, kresd, "-n", "-c", path, dir)
	return fmt.Sprintf("127.0.0.1:%d", port)
}
