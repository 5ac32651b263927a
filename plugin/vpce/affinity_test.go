package vpce

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// askFrom asks name as a client at remote, with an EDNS Client Subnet option for the prefix
// ecs if it is set, and returns the reply.
func askFrom(t *testing.T, v *VPCE, name string, qtype uint16, remote, ecs string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if ecs != "" {
		m.SetEdns0(1232, false)
		m.IsEdns0().Option = append(m.IsEdns0().Option, subnetOpt(ecs))
	}
	rec := dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: remote})
	if _, err := v.ServeDNS(context.Background(), rec, m); err != nil {
		t.Fatal(err)
	}
	return rec.Msg
}

// subnetOpt is a Client Subnet option for prefix ("10.1.2.5/32"), as a forwarder sends it.
func subnetOpt(prefix string) *dns.EDNS0_SUBNET {
	p := netip.MustParsePrefix(prefix)
	o := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Addr().AsSlice())}
	if p.Addr().Is6() {
		o.Family = 2
	}
	return o
}

// answerFrom asks name as askFrom does and returns the answer's addresses in order, or "next"
// when it was passed on.
func answerFrom(t *testing.T, v *VPCE, name string, qtype uint16, remote, ecs string) string {
	t.Helper()
	return answerAddrs(askFrom(t, v, name, qtype, remote, ecs))
}

// answerAddrs returns the addresses of a reply's answer in order, or "next" for the next
// plugin's.
func answerAddrs(reply *dns.Msg) string {
	var out []string
	for _, rr := range reply.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			if rr == nextMarker {
				return "next"
			}
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		}
	}
	return strings.Join(out, " ")
}

func TestAffinity(t *testing.T) {
	ranges := []index.AZRange{
		{AZ: "us-east-1b", Prefixes: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}}, // on premises, by AZ name
		{AZ: "use1-az3", Prefixes: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/12")}},    // by AZ ID
		{AZ: "use1-az3", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.1.128/25")}},    // wins over the learned subnet
	}
	const prefer, only, none = index.AffinityPrefer, index.AffinityOnly, index.AffinityNone
	const ssm = "ssm.us-east-1.amazonaws.com."
	cases := []struct {
		name   string
		mode   index.Affinity
		qname  string
		qtype  uint16
		remote string
		want   string
	}{
		// A client in subnet-a (us-east-1a) gets the interface in its AZ first, or only.
		{"prefer, subnet a", prefer, ssm, dns.TypeA, "10.1.1.5", "10.1.1.10 10.1.2.10 10.1.3.10"},
		{"prefer, subnet b", prefer, ssm, dns.TypeA, "10.1.2.5", "10.1.2.10 10.1.1.10 10.1.3.10"},
		{"only, subnet a", only, ssm, dns.TypeA, "10.1.1.5", "10.1.1.10"},
		{"only, subnet b", only, ssm, dns.TypeA, "10.1.2.5", "10.1.2.10"},
		{"only, IPv6 client in subnet a", only, ssm, dns.TypeAAAA, "2600:1f18:1:1::99", "2600:1f18:1:1::10"},
		{"only, regional name", only, "vpce-1-aaaa.ssm.us-east-1.vpce.amazonaws.com.", dns.TypeA, "10.1.2.5", "10.1.2.10"},
		// A zonal name answers exactly its AZ, whatever the client's.
		{"only, zonal name of another AZ", only, "vpce-1-aaaa-us-east-1c.ssm.us-east-1.vpce.amazonaws.com.", dns.TypeA, "10.1.1.5", "10.1.3.10"},
		// zone lines: on premises by name, by AZ ID, and over a learned subnet.
		{"only, on premises by AZ name", only, ssm, dns.TypeA, "192.168.7.7", "10.1.2.10"},
		{"only, on premises by AZ ID", only, ssm, dns.TypeA, "172.20.1.1", "10.1.3.10"},
		{"only, zone line over a subnet", only, ssm, dns.TypeA, "10.1.1.200", "10.1.3.10"},
		// An unknown client, or an AZ without an interface, gets them all: never no service.
		{"only, unknown client", only, ssm, dns.TypeA, "203.0.113.9", "10.1.1.10 10.1.2.10 10.1.3.10"},
		{"only, AZ without interface", only, "s3.us-east-1.amazonaws.com.", dns.TypeA, "172.20.1.1", "10.1.1.40 10.1.2.50"},
		// AZ names differ between accounts: the IDs match. Subnet a is use1-az1, which the
		// other account's interface calls us-east-1b.
		{"only, across accounts by AZ ID", only, "kms.us-east-1.amazonaws.com.", dns.TypeA, "10.1.1.5", "10.2.0.1"},
		// Without affinity, interface order.
		{"no affinity", none, ssm, dns.TypeA, "10.1.2.5", "10.1.1.10 10.1.2.10 10.1.3.10"},
	}
	for _, tc := range cases {
		// A fresh view each time, so that every case sees the first rotation.
		v := newTestVPCE(t, "testdata/affinity.json", index.Options{TTL: 60, Affinity: tc.mode, AZRanges: ranges})
		if got := answerFrom(t, v, tc.qname, tc.qtype, tc.remote, ""); got != tc.want {
			t.Errorf("%s: %s from %s = %q, want %q", tc.name, tc.qname, tc.remote, got, tc.want)
		}
	}
}

func TestAffinityRotatesWithinGroups(t *testing.T) {
	v := newTestVPCE(t, "testdata/affinity.json", index.Options{TTL: 60, Affinity: index.AffinityPrefer})
	seen := map[string]bool{}
	for range 6 {
		got := answerFrom(t, v, "ssm.us-east-1.amazonaws.com.", dns.TypeA, "10.1.1.5", "")
		if !strings.HasPrefix(got, "10.1.1.10 ") {
			t.Fatalf("local interface not first: %q", got)
		}
		seen[got] = true
	}
	if len(seen) != 2 {
		t.Errorf("the other AZs' order never rotated: %v", seen)
	}
}

func TestTrustedForwarderECS(t *testing.T) {
	v := newTestVPCE(t, "testdata/affinity.json", index.Options{TTL: 60, Affinity: index.AffinityOnly})
	v.trusted = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}
	const ssm = "ssm.us-east-1.amazonaws.com."
	// A trusted forwarder (a NodeLocal cache, say) passes on its client, in subnet b.
	if got := answerFrom(t, v, ssm, dns.TypeA, "10.9.0.1", "10.1.2.5/32"); got != "10.1.2.10" {
		t.Errorf("ECS from a trusted forwarder: %q, want subnet b's AZ", got)
	}
	// Anyone else's ECS is ignored: the packet's source (subnet a) counts.
	if got := answerFrom(t, v, ssm, dns.TypeA, "10.1.1.5", "10.1.2.5/32"); got != "10.1.1.10" {
		t.Errorf("ECS from an untrusted client: %q, want its own AZ", got)
	}
}

func TestInboundOnlyEndpoint(t *testing.T) {
	v := newTestVPCE(t, "testdata/affinity.json", index.Options{TTL: 60})
	for _, tc := range []struct{ name, remote, want string }{
		{"s3.us-east-1.amazonaws.com.", "10.1.1.5", "next"},                   // inside vpc-1: the gateway endpoint's path
		{"bucket.s3.us-east-1.amazonaws.com.", "10.1.2.5", "next"},            // wildcard too
		{"s3.us-east-1.amazonaws.com.", "192.168.1.1", "10.1.1.40 10.1.2.50"}, // from outside: the interface
		{"bucket.s3.us-east-1.amazonaws.com.", "203.0.113.1", "10.1.1.40 10.1.2.50"},
		{"vpce-2-bbbb.s3.us-east-1.vpce.amazonaws.com.", "10.1.1.5", "10.1.1.40 10.1.2.50"}, // its own names always
	} {
		if got := answerFrom(t, v, tc.name, dns.TypeA, tc.remote, ""); got != tc.want {
			t.Errorf("%s from %s: %q, want %q", tc.name, tc.remote, got, tc.want)
		}
	}
}

func TestPrivateDNSModes(t *testing.T) {
	cases := []struct {
		mode index.PrivateDNSMode
		name string
		want string
	}{
		{index.PrivateDNSEnabled, "ssm.us-east-1.amazonaws.com.", "10.1.1.10 10.1.2.10 10.1.3.10"},
		{index.PrivateDNSEnabled, "sts.us-east-1.amazonaws.com.", "next"},  // hub endpoint, private DNS disabled
		{index.PrivateDNSAll, "sts.us-east-1.amazonaws.com.", "10.1.1.70"}, // its service's private name
		{index.PrivateDNSAll, "ssm.us-east-1.amazonaws.com.", "10.1.1.10 10.1.2.10 10.1.3.10"},
		{index.PrivateDNSAll, "x.verified.example.com.", "10.1.1.80"}, // a partner's verified wildcard
		{index.PrivateDNSAll, "api.unverified.example.com.", "next"},  // not verified: not served
		{index.PrivateDNSOff, "ssm.us-east-1.amazonaws.com.", "next"},
		{index.PrivateDNSOff, "vpce-1-aaaa.ssm.us-east-1.vpce.amazonaws.com.", "10.1.1.10 10.1.2.10 10.1.3.10"},
	}
	for _, tc := range cases {
		v := newTestVPCE(t, "testdata/affinity.json", index.Options{TTL: 60, PrivateDNS: tc.mode})
		if got := answerFrom(t, v, tc.name, dns.TypeA, "203.0.113.1", ""); got != tc.want {
			t.Errorf("private_dns %d: %s = %q, want %q", tc.mode, tc.name, got, tc.want)
		}
	}
}
