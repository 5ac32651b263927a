package test

// EDNS Client Subnet: an answer chosen by the client's subnet says for which subnet it holds
// (RFC 7871), on the wire, and an ECS-aware cache in front (Unbound's subnetcache) keeps each
// AZ's answer for its own clients.

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// ecsCorefile serves the example snapshot with affinity: clients in 127.0.1.0/24 are in
// ap-northeast-1a, those in 127.0.2.0/24 (and an IPv6 range) in ap-northeast-1c, and
// 127.0.0.1 is a trusted forwarder. BIND is the server's address, PROM the metrics address.
const ecsCorefile = `.:0 {
    bind BIND
    prometheus PROM
    vpce {
        snapshot ../example/snapshot.json
        affinity only
        zone ap-northeast-1a 127.0.1.0/24
        zone ap-northeast-1c 127.0.2.0/24 2001:db8:2::/48
        trusted_forwarder 127.0.0.1
    }
    forward . UPSTREAM
}`

const (
	ecsName  = "ssm.ap-northeast-1.amazonaws.com."
	ecsAZ1a  = "172.20.128.22"
	ecsAZ1c  = "172.20.144.169"
	ecsBoth  = ecsAZ1a + " " + ecsAZ1c // sorted
	ecsZonal = "vpce-0bb20377a387ade86-njczioek-ap-northeast-1a.ssm.ap-northeast-1.vpce.amazonaws.com."
)

// startECSServer starts coredns-vpce with ecsCorefile on bind, a loopback address of the
// caller's own (so that the metrics' server label is its alone; an ephemeral port, which no
// other program can have taken first), and returns its DNS and metrics addresses.
func startECSServer(t *testing.T, bind string) (udp, tcp, prom string) {
	t.Helper()
	prom = testkit.FreeAddr(t)
	corefile := strings.NewReplacer("BIND", bind, "PROM", prom).Replace(ecsCorefile)
	udp, tcp = startServer(t, corefile)
	return udp, tcp, prom
}

// TestECSOnTheWire: the reply echoes the query's Client Subnet option with the scope of the
// answer, over UDP and TCP, through CoreDNS's server (which copies no ECS option itself).
func TestECSOnTheWire(t *testing.T) {
	udp, tcp, _ := startECSServer(t, "127.0.42.1")
	cases := []struct {
		name, net, src, qname, ecs string
		want                       string
		scope                      int // -1: no Client Subnet option in the reply
	}{
		{"client in 1a's range", "udp", "127.0.0.1", ecsName, "127.0.1.0/24", ecsAZ1a, 24},
		{"client in 1c's range", "udp", "127.0.0.1", ecsName, "127.0.2.7/32", ecsAZ1c, 24},
		{"over TCP", "tcp", "127.0.0.1", ecsName, "127.0.2.0/24", ecsAZ1c, 24},
		{"IPv6 client", "udp", "127.0.0.1", ecsName, "2001:db8:2::/56", ecsAZ1c, 48},
		// Unknown clients: every AZ, for the part of the address space that holds no range.
		{"unknown client next to a range", "udp", "127.0.0.1", ecsName, "127.0.3.0/24", ecsBoth, 24},
		{"unknown client far off", "udp", "127.0.0.1", ecsName, "10.0.0.0/8", ecsBoth, 2},
		// Answers the same for every client: scope 0.
		{"untrusted sender", "udp", "127.0.1.5", ecsName, "127.0.2.0/24", ecsAZ1a, 0},
		{"zonal name", "udp", "127.0.0.1", ecsZonal, "127.0.2.0/24", ecsAZ1a, 0},
		{"no option", "udp", "127.0.0.1", ecsName, "", ecsBoth, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion(tc.qname, dns.TypeA)
			m.SetEdns0(1232, false)
			var sent *dns.EDNS0_SUBNET
			if tc.ecs != "" {
				p := netip.MustParsePrefix(tc.ecs)
				sent = &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Addr().AsSlice())}
				if p.Addr().Is6() {
					sent.Family = 2
				}
				m.IsEdns0().Option = append(m.IsEdns0().Option, sent)
			}
			server := map[string]string{"udp": udp, "tcp": tcp}[tc.net]
			resp := testkit.Exchange(t, tc.net, server, tc.src, m)
			if got := testkit.SortedAnswer(resp); got != tc.want {
				t.Errorf("answer %q, want %q", got, tc.want)
			}
			opt := resp.IsEdns0()
			if opt == nil {
				t.Fatal("no OPT record in the reply")
			}
			var got *dns.EDNS0_SUBNET
			for _, o := range opt.Option {
				if e, ok := o.(*dns.EDNS0_SUBNET); ok {
					if got != nil {
						t.Fatalf("two Client Subnet options: %v", opt.Option)
					}
					got = e
				}
			}
			switch {
			case tc.scope < 0 && got != nil:
				t.Errorf("a Client Subnet option %v in the reply to a query without one", got)
			case tc.scope < 0:
			case got == nil:
				t.Errorf("no Client Subnet option in the reply; OPT %v", opt)
			case got.Family != sent.Family || got.SourceNetmask != sent.SourceNetmask || !got.Address.Equal(sent.Address):
				t.Errorf("echoed %v, want the query's %v", got, sent)
			case int(got.SourceScope) != tc.scope:
				t.Errorf("scope %d, want %d", got.SourceScope, tc.scope)
			}
		})
	}
}

// subnetcacheUnbound starts Unbound with its subnetcache forwarding amazonaws.com to vpce with
// each client's /24 in the Client Subnet option, and waits until it answers probe (another
// name than the test's, which is not cached yet).
func subnetcacheUnbound(t *testing.T, vpce, probe string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(vpce)
	if err != nil {
		t.Fatal(err)
	}
	unbound := hybridUnbound(t, `    module-config: "subnetcache iterator"
    send-client-subnet: `+host+`
    max-client-subnet-ipv4: 24`, `forward-zone:
    name: "amazonaws.com"
    forward-addr: `+host+`@`+port)
	testkit.Eventually(t, 15*time.Second, func() error {
		r, err := hybridAsk(unbound, probe, dns.TypeA)
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
			return fmt.Errorf("%s through Unbound: %v %v", probe, err, r)
		}
		return nil
	})
	return unbound
}

// TestECSBehindUnbound: Unbound's subnetcache forwards each client's /24 to coredns-vpce and
// caches the answers by the scope they come back with. Clients in two AZs' ranges each get
// their own AZ's interface, the first time from coredns-vpce and then from Unbound's cache;
// so does another client of the same /24. Without the scope Unbound would cache the first
// answer for everyone.
func TestECSBehindUnbound(t *testing.T) {
	vpce, _, prom := startECSServer(t, "127.0.42.2")
	unbound := subnetcacheUnbound(t, vpce, ecsZonal)
	vpceHost, _, _ := net.SplitHostPort(vpce)

	for round := range 2 {
		for _, c := range []struct{ src, want string }{
			{"127.0.1.10", ecsAZ1a},
			{"127.0.2.10", ecsAZ1c},
			{"127.0.1.99", ecsAZ1a}, // the /24 of 127.0.1.10: from Unbound's cache at once
			{"127.0.3.10", ecsBoth}, // no known AZ
		} {
			if got := testkit.SortedAnswer(askFrom(t, unbound, c.src, ecsName)); got != c.want {
				t.Errorf("round %d, client %s: %q, want %q", round, c.src, got, c.want)
			}
		}
	}

	// Three answers came from coredns-vpce, one per /24; Unbound's cache gave the rest.
	_, body := httpGet(t, "http://"+prom+"/metrics")
	series := `coredns_vpce_answers_total{kind="private",result="answer",server="dns://` + vpceHost + `:0"} 3` // the Corefile's port
	if !strings.Contains(body, series) {
		t.Errorf("/metrics lacks %s\n%s", series, grepLines(body, "coredns_vpce_answers_total"))
	}
}
