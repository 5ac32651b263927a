package vpce

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// testdata/vpcs.json: an account of three VPCs. vpc-0a (the older endpoints) and vpc-0b each
// have endpoints for ssm (dualstack; vpc-0b a second, newer one: a conflict within the VPC),
// s3 (wildcard), ecr.api (vpc-0a's a hub endpoint without private DNS) and a resource
// endpoint with the custom name db.example.internal; vpc-0c has none. Subnets: 10.<1,2,3>.0.0/24
// in us-east-1a, 10.<1,2>.1.0/24 in us-east-1b, 2600:1f18:<a,b,c>:<n>::/64 alike.
const (
	inA, inA1b   = "10.1.0.5", "10.1.1.5"
	inB, inB1b   = "10.2.0.5", "10.2.1.5"
	inC          = "10.3.0.5"
	unplaced     = "192.0.2.1"
	onPremB      = "172.16.5.5" // client_vpc vpc-0b 172.16.0.0/16
	onPremB1b    = "172.16.1.5" // and a zone line use1-az2 172.16.1.0/24 inside it
	inB6         = "2600:1f18:b:1::5"
	ssmA, ssmB   = "10.1.0.10 10.1.1.10", "10.2.0.10 10.2.1.10"
	ssmA6, ssmB6 = "2600:1f18:a::10 2600:1f18:a:1::10", "2600:1f18:b::10 2600:1f18:b:1::10"
)

func TestClientVPC(t *testing.T) {
	const (
		ssm    = "ssm.us-east-1.amazonaws.com."
		bucket = "my-bucket.s3.us-east-1.amazonaws.com."
		s3     = "s3.us-east-1.amazonaws.com."
		ecr    = "api.ecr.us-east-1.amazonaws.com."
		db     = "db.example.internal."
		dbA    = "vpce-0a4.rcfg-0a.4232ccc.vpc-lattice-rsc.us-east-1.on.aws."
		dbB    = "vpce-0b4.rcfg-0b.4232ccc.vpc-lattice-rsc.us-east-1.on.aws."
	)
	base := buildOptions{ttl: 60, vpcRanges: []vpcRange{{vpc: "vpc-0b", prefixes: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/16")}}},
		azRanges: []azRange{{az: "use1-az2", prefixes: []netip.Prefix{netip.MustParsePrefix("172.16.1.0/24")}}}}
	with := func(f func(*buildOptions)) buildOptions {
		o := base
		f(&o)
		return o
	}
	hub := with(func(o *buildOptions) { o.privateDNS = privateDNSAll })
	ordered := with(func(o *buildOptions) { o.vpcs = []string{"vpc-0b", "vpc-0a"} })
	onlyB := with(func(o *buildOptions) { o.vpcs = []string{"vpc-0b"} })
	prefer := with(func(o *buildOptions) { o.affinity = affinityPrefer })
	only := with(func(o *buildOptions) { o.affinity = affinityOnly })

	cases := []struct {
		name   string
		opts   buildOptions
		qname  string
		qtype  uint16
		remote string
		want   string // the answer's addresses in order, or the CNAME's target
	}{
		// A private name: each VPC's clients get their own; others the oldest endpoint's.
		{"private, VPC A", base, ssm, dns.TypeA, inA, ssmA},
		{"private, VPC B", base, ssm, dns.TypeA, inB1b, ssmB},
		{"private, VPC C without one", base, ssm, dns.TypeA, inC, ssmA},
		{"private, unplaced", base, ssm, dns.TypeA, unplaced, ssmA},
		{"private, client_vpc range", base, ssm, dns.TypeA, onPremB, ssmB},
		{"private, IPv6 client of B", base, ssm, dns.TypeAAAA, inB6, ssmB6},
		{"private, IPv6 records for A", base, ssm, dns.TypeAAAA, inA, ssmA6},
		// A wildcard and its apex.
		{"wildcard, VPC A", base, bucket, dns.TypeA, inA, "10.1.0.20"},
		{"wildcard, VPC B", base, bucket, dns.TypeA, inB, "10.2.0.20"},
		{"wildcard, unplaced", base, bucket, dns.TypeA, unplaced, "10.1.0.20"},
		{"wildcard apex, VPC B", base, s3, dns.TypeA, inB, "10.2.0.20"},
		// A hub name: vpc-0a's endpoint serves the service's name under private_dns all only.
		{"hub, VPC A", hub, ecr, dns.TypeA, inA, "10.1.0.30"},
		{"hub, VPC B", hub, ecr, dns.TypeA, inB, "10.2.0.30"},
		{"hub, unplaced", hub, ecr, dns.TypeA, unplaced, "10.1.0.30"},
		{"hub name not served: VPC A gets B's", base, ecr, dns.TypeA, inA, "10.2.0.30"},
		// A custom name of resource endpoints.
		{"custom, VPC A", base, db, dns.TypeA, inA, dbA},
		{"custom, VPC B", base, db, dns.TypeA, inB, dbB},
		{"custom, client_vpc range", base, db, dns.TypeA, onPremB, dbB},
		{"custom, unplaced", base, db, dns.TypeA, unplaced, dbA},
		// The vpc list orders the default, and filters.
		{"vpc order, unplaced", ordered, ssm, dns.TypeA, unplaced, ssmB},
		{"vpc order, VPC A", ordered, ssm, dns.TypeA, inA, ssmA},
		{"vpc order, custom unplaced", ordered, db, dns.TypeA, unplaced, dbB},
		{"vpc filter, VPC A", onlyB, ssm, dns.TypeA, inA, ssmB},
		// Affinity orders within the VPC's endpoint, also for a client_vpc range with a zone line.
		{"prefer, VPC B in 1b", prefer, ssm, dns.TypeA, inB1b, "10.2.1.10 10.2.0.10"},
		{"only, VPC B in 1b", only, ssm, dns.TypeA, inB1b, "10.2.1.10"},
		{"only, VPC A in 1b", only, ssm, dns.TypeA, inA1b, "10.1.1.10"},
		{"only, on premises in VPC B's 1b", only, ssm, dns.TypeA, onPremB1b, "10.2.1.10"},
		{"only, IPv6 client of B in 1b", only, ssm, dns.TypeAAAA, inB6, "2600:1f18:b:1::10"},
		// Regional names belong to one endpoint, whoever asks.
		{"regional of B, VPC A", base, "vpce-0b1-bbbb1111.ssm.us-east-1.vpce.amazonaws.com.", dns.TypeA, inA, ssmB},
		{"zonal of A, VPC B", base, "vpce-0a1-aaaa1111-us-east-1b.ssm.us-east-1.vpce.amazonaws.com.", dns.TypeA, inB, "10.1.1.10"},
	}
	for _, tc := range cases {
		v := newTestVPCE(t, "testdata/vpcs.json", tc.opts)
		reply := askFrom(t, v, tc.qname, tc.qtype, tc.remote, "")
		got := answerAddrs(reply)
		if len(reply.Answer) > 0 {
			if cname, ok := reply.Answer[0].(*dns.CNAME); ok {
				got = cname.Target
			}
		}
		if got != tc.want {
			t.Errorf("%s: %s from %s = %q, want %q", tc.name, tc.qname, tc.remote, got, tc.want)
		}
	}
}

// TestClientVPCScope: behind a trusted forwarder, the Client Subnet option places the client,
// and the scope echoed is the range that decided: a name offered in several VPCs is an answer
// for that range's clients only.
func TestClientVPCScope(t *testing.T) {
	const (
		ssm       = "ssm.us-east-1.amazonaws.com."
		forwarder = "10.9.0.1"
	)
	cases := []struct {
		name, qname, remote, ecs, want string
		scope                          int
	}{
		{"B's subnet", ssm, forwarder, "10.2.1.0/24", ssmB, 24},
		{"A's subnet", ssm, forwarder, "10.1.0.7/32", ssmA, 24},
		{"client_vpc range", ssm, forwarder, "172.16.9.0/24", ssmB, 16},
		// Unplaced: the prefix around it that holds no range, so that no cache hands it to B.
		{"unplaced", ssm, forwarder, "192.0.2.0/24", ssmA, 2}, // 128.0.0.0/1 holds 172.16.0.0/16
		// A name offered by one endpoint is the same for everyone.
		{"one VPC's name", "vpce-0b1-bbbb1111.ssm.us-east-1.vpce.amazonaws.com.", forwarder, "10.1.0.7/32", ssmB, 0},
		// An untrusted sender's option is echoed at scope 0, and places nobody.
		{"untrusted", ssm, inB, "10.1.0.7/32", ssmB, 0},
	}
	for _, tc := range cases {
		v := newTestVPCE(t, "testdata/vpcs.json", buildOptions{ttl: 60,
			vpcRanges: []vpcRange{{vpc: "vpc-0b", prefixes: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/16")}}}})
		v.trusted = []netip.Prefix{netip.MustParsePrefix(forwarder + "/32")}
		reply := askFrom(t, v, tc.qname, dns.TypeA, tc.remote, tc.ecs)
		if got := answerAddrs(reply); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		scope, err := echoedScope(reply, tc.ecs)
		if err != nil || scope != tc.scope {
			t.Errorf("%s: scope %d (%v), want %d", tc.name, scope, err, tc.scope)
		}
	}
}

// TestSharedNamesReported: a name offered in several VPCs is one info line naming the VPCs and
// the rule for other clients; two offers in one VPC are a conflict; the index keeps an rrset
// per VPC and counts every endpoint that serves.
func TestSharedNamesReported(t *testing.T) {
	ix, report := buildIndex(compactOf(t, "testdata/vpcs.json"), buildOptions{ttl: 60})
	wantShared := []string{
		"ssm.us-east-1.amazonaws.com. offered in vpc-0a (vpce-0a1), vpc-0b (vpce-0b1): each VPC's clients get their VPC's, other clients vpce-0a1 (the oldest)",
		"*.s3.us-east-1.amazonaws.com. offered in vpc-0a (vpce-0a2), vpc-0b (vpce-0b2): each VPC's clients get their VPC's, other clients vpce-0a2 (the oldest)",
		"s3.us-east-1.amazonaws.com. offered in vpc-0a (vpce-0a2), vpc-0b (vpce-0b2): each VPC's clients get their VPC's, other clients vpce-0a2 (the oldest)",
		"db.example.internal. offered in vpc-0a (vpce-rsc-asc-0a), vpc-0b (vpce-rsc-asc-0b): each VPC's clients get their VPC's, other clients vpce-rsc-asc-0a (the oldest)",
	}
	slices.Sort(wantShared)
	got := slices.Sorted(slices.Values(report.shared))
	if !slices.Equal(got, wantShared) {
		t.Errorf("shared\n%q\nwant\n%q", got, wantShared)
	}
	wantConflicts := []string{"ssm.us-east-1.amazonaws.com. offered by vpce-0b1 (vpc-0b) and vpce-0b9 (vpc-0b): serving vpce-0b1"}
	if !slices.Equal(report.conflicts, wantConflicts) {
		t.Errorf("conflicts %q, want %q", report.conflicts, wantConflicts)
	}
	// Three shared interface names, one alternative each. Every endpoint serves: vpce-0b9 and
	// vpce-0a3 (the hub endpoint, without private_dns all) their regional names, and the two
	// resource endpoints.
	if len(ix.alts) != 3 || len(ix.altsOf) != 3 {
		t.Errorf("%d alternatives for %d names, want 3 for 3", len(ix.alts), len(ix.altsOf))
	}
	if ix.stats.endpoints != 9 {
		t.Errorf("%d endpoints serve, want 9", ix.stats.endpoints)
	}
}
