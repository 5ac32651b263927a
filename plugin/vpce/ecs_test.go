package vpce

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// echoedScope checks that reply echoes the Client Subnet option of the query asked for prefix
// and returns its scope, or -1 when the reply has no OPT record.
func echoedScope(reply *dns.Msg, prefix string) (int, error) {
	opt := reply.IsEdns0()
	if opt == nil {
		return -1, nil
	}
	if len(opt.Option) != 1 {
		return 0, fmt.Errorf("OPT options %v, want one Client Subnet option", opt.Option)
	}
	got, ok := opt.Option[0].(*dns.EDNS0_SUBNET)
	sent := subnetOpt(prefix)
	if !ok || got.Code != dns.EDNS0SUBNET || got.Family != sent.Family || got.SourceNetmask != sent.SourceNetmask || !got.Address.Equal(sent.Address) {
		return 0, fmt.Errorf("option %v, want the query's %v echoed", opt.Option[0], sent)
	}
	return int(got.SourceScope), nil
}

func TestClientSubnetScope(t *testing.T) {
	ranges := []index.AZRange{
		{AZ: "us-east-1b", Prefixes: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}},
		{AZ: "use1-az3", Prefixes: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/12")}},
		{AZ: "use1-az3", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.1.128/25")}}, // inside subnet a's /24
	}
	const prefer, only, none = index.AffinityPrefer, index.AffinityOnly, index.AffinityNone
	const (
		ssm       = "ssm.us-east-1.amazonaws.com."
		forwarder = "10.9.0.1" // trusted
		all       = "10.1.1.10 10.1.2.10 10.1.3.10"
	)
	cases := []struct {
		name   string
		mode   index.Affinity
		qname  string
		qtype  uint16
		remote string
		ecs    string
		want   string // the answer's addresses, "next" when passed on, or the rcode
		scope  int    // -1: no OPT record in the reply
	}{
		// The prefix that placed the client, when no longer one lies inside it.
		{"learned subnet", only, ssm, dns.TypeA, forwarder, "10.1.2.5/32", "10.1.2.10", 24},
		{"zone line", only, ssm, dns.TypeA, forwarder, "192.168.7.7/32", "10.1.2.10", 16},
		{"zone line inside a subnet", only, ssm, dns.TypeA, forwarder, "10.1.1.200/32", "10.1.3.10", 25},
		{"prefer", prefer, ssm, dns.TypeA, forwarder, "10.1.2.5/32", "10.1.2.10 10.1.1.10 10.1.3.10", 24},
		// Subnet a's /24 holds the zone line's /25: its other half is the /25 that decided.
		{"subnet around a zone line", only, ssm, dns.TypeA, forwarder, "10.1.1.5/32", "10.1.1.10", 25},
		// Capped at the source prefix: the rest of the address was never sent.
		{"capped below the subnet", only, ssm, dns.TypeA, forwarder, "10.1.2.0/23", "10.1.2.10", 23},
		{"capped below the zone line", only, ssm, dns.TypeA, forwarder, "10.1.1.0/24", "10.1.1.10", 24},
		// An unknown client's answer holds where no range is: not scope 0.
		{"unknown client", only, ssm, dns.TypeA, forwarder, "203.0.113.9/32", all, 5},
		{"unknown client next to a subnet", only, ssm, dns.TypeA, forwarder, "10.1.3.5/32", all, 24},
		{"unknown client around subnets", only, ssm, dns.TypeA, forwarder, "10.1.0.0/16", all, 16},
		// A /0 source asks for no tailoring.
		{"source /0", only, ssm, dns.TypeA, forwarder, "0.0.0.0/0", all, 0},
		// IPv6: subnet a's /64.
		{"IPv6 subnet", only, ssm, dns.TypeAAAA, forwarder, "2600:1f18:1:1::99/128", "2600:1f18:1:1::10", 64},
		{"IPv6 capped", only, ssm, dns.TypeAAAA, forwarder, "2600:1f18:1::/56", "2600:1f18:1:1::10 2600:1f18:1:2::10 2600:1f18:1:3::10", 56},
		// Answers that do not depend on the client: scope 0.
		{"no affinity", none, ssm, dns.TypeA, forwarder, "10.1.2.5/32", all, 0},
		{"untrusted sender", only, ssm, dns.TypeA, "10.1.1.5", "10.1.2.5/32", "10.1.1.10", 0},
		{"one AZ only", only, "vpce-1-aaaa-us-east-1c.ssm.us-east-1.vpce.amazonaws.com.", dns.TypeA, forwarder, "10.1.2.5/32", "10.1.3.10", 0},
		{"NODATA", only, "kms.us-east-1.amazonaws.com.", dns.TypeAAAA, forwarder, "10.1.2.5/32", "", 0},
		{"NXDOMAIN", only, "x.ssm.us-east-1.amazonaws.com.", dns.TypeA, forwarder, "10.1.2.5/32", "NXDOMAIN", 0},
		// An endpoint that passes its own VPC's clients on depends on the client without
		// affinity too, and so does the next plugin's answer.
		{"inbound only, outside", none, "s3.us-east-1.amazonaws.com.", dns.TypeA, forwarder, "192.168.1.1/32", "10.1.1.40 10.1.2.50", 16},
		{"inbound only, inside", none, "s3.us-east-1.amazonaws.com.", dns.TypeA, forwarder, "10.1.2.5/32", "next", 24},
		{"inbound only, untrusted", none, "s3.us-east-1.amazonaws.com.", dns.TypeA, "10.1.2.5", "10.1.2.5/32", "next", -1},
		// Without the option, the reply is as before: no OPT record.
		{"no option", only, ssm, dns.TypeA, forwarder, "", "10.1.1.10 10.1.2.10 10.1.3.10", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVPCE(t, "testdata/affinity.json", index.Options{TTL: 60, Affinity: tc.mode, AZRanges: ranges, Authoritative: true})
			v.trusted = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}
			reply := askFrom(t, v, tc.qname, tc.qtype, tc.remote, tc.ecs)
			got := dns.RcodeToString[reply.Rcode]
			if reply.Rcode == dns.RcodeSuccess {
				got = answerAddrs(reply)
			}
			if got != tc.want {
				t.Errorf("answer %q, want %q", got, tc.want)
			}
			scope, err := echoedScope(reply, tc.ecs)
			if err != nil {
				t.Fatal(err)
			}
			if scope != tc.scope {
				t.Errorf("scope %d, want %d", scope, tc.scope)
			}
		})
	}
}

// TestScopeOnTheNextPluginsReply: a client inside an inbound-only endpoint's VPC gets the next
// plugin's answer, with the scope that sent it there, also when that reply has an OPT record
// or a Client Subnet option of its own.
func TestScopeOnTheNextPluginsReply(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opt   []dns.EDNS0 // the next plugin's reply's OPT options; nil: no OPT record
		scope uint8
	}{
		{"no OPT", nil, 24},
		{"OPT without the option", []dns.EDNS0{}, 24},
		{"a shorter scope", []dns.EDNS0{subnetOpt("10.1.2.5/32")}, 24},
		{"a longer scope", []dns.EDNS0{&dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 32, SourceScope: 28, Address: subnetOpt("10.1.2.5/32").Address}}, 28},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVPCE(t, "testdata/affinity.json", index.Options{TTL: 60})
			v.trusted = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}
			v.Next = test.HandlerFunc(func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
				m := new(dns.Msg)
				m.SetReply(r)
				m.Answer = []dns.RR{nextMarker}
				if tc.opt != nil {
					m.SetEdns0(1232, false)
					m.IsEdns0().Option = tc.opt
				}
				w.WriteMsg(m)
				return dns.RcodeSuccess, nil
			})
			reply := askFrom(t, v, "s3.us-east-1.amazonaws.com.", dns.TypeA, "10.9.0.1", "10.1.2.5/32")
			if got := answerAddrs(reply); got != "next" {
				t.Fatalf("answer %q, want the next plugin's", got)
			}
			scope, err := echoedScope(reply, "10.1.2.5/32")
			if err != nil {
				t.Fatal(err)
			}
			if scope != int(tc.scope) {
				t.Errorf("scope %d, want %d", scope, tc.scope)
			}
		})
	}
}
