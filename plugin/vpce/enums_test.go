package vpce

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// unknownWarnings are the lines testdata/unknown.json logs: one per distinct field and value,
// naming the first endpoint that has it.
var unknownWarnings = []string{
	`Skipped: vpce-1c and 1 more: unknown VpcEndpointType "FutureType"`,
	`Skipped: vpce-1d: unknown State "Exploding"`,
	`Skipped: vpce-1e: unknown IpAddressType "ipv7"`,
	`Skipped: vpce-1g: unknown DnsOptions.DnsRecordIpType "ipv9"`,
}

// TestUnknownEnums: a snapshot with enum values the SDK does not list starts (setup reads it
// as CoreDNS does at start), leaves those endpoints out with one warning per value, and
// serves the rest, upper-case IpAddressType values included.
func TestUnknownEnums(t *testing.T) {
	logs := testkit.CaptureLog(t)
	s, err := parse(caddy.NewTestController("dns", "vpce . {\n snapshot testdata/unknown.json\n}"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := newVPCE(s)
	if err != nil {
		t.Fatalf("start refused: %v", err)
	}
	v.Next = nextPlugin
	passed := []dns.RR{nextMarker}
	cases := []test.Case{
		// IPV4: A only.
		{Qname: "ssm.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("ssm.us-east-1.amazonaws.com. 60 IN A 10.0.1.10")}},
		{Qname: "ssm.us-east-1.amazonaws.com.", Qtype: dns.TypeAAAA, Ns: []dns.RR{soa("ssm.us-east-1.amazonaws.com.", "60")}},
		{Qname: "vpce-1a-aaaa1111.ssm" + vz, Qtype: dns.TypeA, Answer: []dns.RR{test.A("vpce-1a-aaaa1111.ssm" + vz + " 60 IN A 10.0.1.10")}},
		// DUALSTACK: A and AAAA.
		{Qname: "sts.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("sts.us-east-1.amazonaws.com. 60 IN A 10.0.1.11")}},
		{Qname: "sts.us-east-1.amazonaws.com.", Qtype: dns.TypeAAAA, Answer: []dns.RR{test.AAAA("sts.us-east-1.amazonaws.com. 60 IN AAAA 2600:1f18::b1")}},
		{Qname: "vpce-1b-bbbb1111.sts" + vz, Qtype: dns.TypeAAAA, Answer: []dns.RR{test.AAAA("vpce-1b-bbbb1111.sts" + vz + " 60 IN AAAA 2600:1f18::b1")}},
		// Unknown values: left out, every name of theirs goes on.
		{Qname: "future.example.com.", Qtype: dns.TypeA, Answer: passed},
		{Qname: "vpce-1c-cccc1111.future" + vz, Qtype: dns.TypeA, Answer: passed},
		{Qname: "future2.example.com.", Qtype: dns.TypeA, Answer: passed},
		{Qname: "exploding.example.com.", Qtype: dns.TypeA, Answer: passed},
		{Qname: "vpce-1d-dddd1111.exploding" + vz, Qtype: dns.TypeA, Answer: passed},
		{Qname: "ipv7.example.com.", Qtype: dns.TypeA, Answer: passed},
		{Qname: "vpce-1e-eeee1111.ipv7" + vz, Qtype: dns.TypeA, Answer: passed},
		{Qname: "ipv9.example.com.", Qtype: dns.TypeA, Answer: passed},
	}
	for _, tc := range cases {
		t.Run(dns.TypeToString[tc.Qtype]+" "+tc.Qname, func(t *testing.T) {
			if err := test.SortAndCheck(serve(t, v, tc.Msg()), tc); err != nil {
				t.Error(err)
			}
		})
	}
	out := logs.String()
	for _, w := range unknownWarnings {
		if n := strings.Count(out, w+"\n"); n != 1 {
			t.Errorf("%d times %q, want once", n, w)
		}
	}
	// The Gateway endpoint is not served whatever its values: no warning for it.
	if n := strings.Count(out, "Skipped:"); n != len(unknownWarnings) || strings.Contains(out, "vpce-1h") {
		t.Errorf("%d Skipped lines, want %d:\n%s", n, len(unknownWarnings), out)
	}
}

// TestUnknownEnumBeatsOlderCopy: an endpoint left out for an unknown value is out of the
// view, even where an older copy of it (the cache file's, merged after) is available.
func TestUnknownEnumBeatsOlderCopy(t *testing.T) {
	ep := func(state types.State, ipType types.IpAddressType) types.VpcEndpoint {
		return types.VpcEndpoint{VpcEndpointId: aws.String("vpce-1"), VpcEndpointType: "Interface", State: state,
			IpAddressType: ipType, PrivateDnsEnabled: aws.Bool(true), NetworkInterfaceIds: []string{"eni-1"},
			DnsEntries: []types.DnsEntry{{DnsName: aws.String("svc.example.com")}}}
	}
	nis := []types.NetworkInterface{{NetworkInterfaceId: aws.String("eni-1"), PrivateIpAddress: aws.String("10.0.0.1")}}
	cached := &inventory.Inventory{VpcEndpoints: []types.VpcEndpoint{ep("available", "ipv4")}, NetworkInterfaces: nis}
	for _, fresh := range []types.VpcEndpoint{ep("Exploding", "ipv4"), ep("available", "ipv7")} {
		ix, report := index.Build(inventory.NewCompact(inventory.Merge(&inventory.Inventory{VpcEndpoints: []types.VpcEndpoint{fresh}}, cached)), index.Options{TTL: 60})
		if _, _, res := ix.Lookup([]byte("svc.example.com.")); res != index.Miss {
			t.Errorf("State %q, IpAddressType %q: the older copy serves (%v)", fresh.State, fresh.IpAddressType, res)
		}
		if len(report.Skipped) != 1 {
			t.Errorf("skipped = %q, want one line", report.Skipped)
		}
	}
}

// TestUnknownEnumLines: one line per field and value, in the order met; an empty value is
// "missing", a long one cut short.
func TestUnknownEnumLines(t *testing.T) {
	long := strings.Repeat("x", 100)
	var eps []types.VpcEndpoint
	for i, e := range []struct{ typ, state, ipType string }{
		{"Interface", "Exploding", "ipv4"}, {"Interface", "exploding", "ipv4"}, {"Interface", "Exploding", "ipv4"},
		{"", "available", ""}, {"Interface", "available", long}, {"Interface", "Exploding", "ipv4"},
		{"INTERFACE", "AVAILABLE", "IPV4"}, {"gateway", "Exploding", long},
	} {
		eps = append(eps, types.VpcEndpoint{VpcEndpointId: aws.String("vpce-" + string(rune('a'+i))),
			VpcEndpointType: types.VpcEndpointType(e.typ), State: types.State(e.state), IpAddressType: types.IpAddressType(e.ipType)})
	}
	_, report := index.Build(inventory.NewCompact(&inventory.Inventory{VpcEndpoints: eps}), index.Options{TTL: 60})
	want := []string{
		`vpce-a and 2 more: unknown State "Exploding"`,
		`vpce-b: unknown State "exploding"`,
		`vpce-d: VpcEndpointType missing`,
		`vpce-e: unknown IpAddressType "` + long[:64] + `..."`, // cut at 64 characters
	}
	if !slices.Equal(report.Skipped, want) {
		t.Errorf("skipped:\n%q\nwant\n%q", report.Skipped, want)
	}
}

// TestCacheFileUnknownEnums: a cache file with unknown values is served at start, those
// endpoints left out with one warning each, rather than ignored whole.
func TestCacheFileUnknownEnums(t *testing.T) {
	data, err := os.ReadFile("testdata/unknown.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cache.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	logs := testkit.CaptureLog(t)
	var ix *index.Index
	m := &merger{sources: []inventory.Source{&inventory.Files{}}, cache: inventory.NewCacheFile(path, inventory.DefaultLimits),
		build: index.Build, opts: index.Options{TTL: 60}, publish: func(i *index.Index) { ix = i }}
	m.loadCache()
	if ix == nil {
		t.Fatalf("cache file not served:\n%s", logs)
	}
	for name, want := range map[string]index.Result{"ssm.us-east-1.amazonaws.com.": index.Answer, "sts.us-east-1.amazonaws.com.": index.Answer,
		"future.example.com.": index.Miss, "exploding.example.com.": index.Miss, "ipv7.example.com.": index.Miss} {
		if _, _, res := ix.Lookup([]byte(name)); res != want {
			t.Errorf("%s: %v, want %v", name, res, want)
		}
	}
	out := logs.String()
	for _, w := range unknownWarnings {
		if n := strings.Count(out, w+"\n"); n != 1 {
			t.Errorf("%d times %q, want once", n, w)
		}
	}
}
