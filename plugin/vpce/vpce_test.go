package vpce

import (
	"context"
	"strings"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// nextMarker is what the next plugin answers with, so a test can tell a pass-through.
var nextMarker = test.A("next.marker. 1 IN A 192.0.2.53")

// nextPlugin stands for forward: it answers every query with nextMarker.
var nextPlugin = answering(nextMarker)

// answering is a next plugin that answers every query, even one without a question, with rr.
func answering(rr dns.RR) test.HandlerFunc {
	return func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = []dns.RR{rr}
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	}
}

// newTestVPCE serves the snapshot file in zones with the given build options.
func newTestVPCE(t testing.TB, file string, opts index.Options, zones ...string) *VPCE {
	t.Helper()
	if len(zones) == 0 {
		zones = []string{"."}
	}
	v := newBareVPCE(nextPlugin, zones...)
	ix, _ := index.Build(testkit.Compact(t, file), opts)
	v.index.Store(ix)
	return v
}

// newBareVPCE is a handler for zones without sources, as setup would make it: a test
// publishes an index with v.index.Store or gives it a merger.
func newBareVPCE(next plugin.Handler, zones ...string) *VPCE {
	v := &VPCE{Next: next, gaps: newGapReport("")}
	v.zones = newZoneList(zones...)
	return v
}

func serve(t testing.TB, v *VPCE, m *dns.Msg) *dns.Msg {
	t.Helper()
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	if _, err := v.ServeDNS(context.Background(), rec, m); err != nil {
		t.Fatalf("ServeDNS(%s): %v", m.Question[0].Name, err)
	}
	if rec.Msg == nil {
		t.Fatalf("ServeDNS(%s) wrote nothing", m.Question[0].Name)
	}
	return rec.Msg
}

const vz = ".us-east-1.vpce.amazonaws.com."

// soa is the negative-answer SOA of zone with a TTL and negative TTL of ttl.
func soa(zone string, ttl string) dns.RR {
	return test.SOA(zone + " " + ttl + " IN SOA ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 " + ttl)
}

func TestAnswers(t *testing.T) {
	v := newTestVPCE(t, "testdata/answers.json", index.Options{TTL: 60})
	passed := []dns.RR{nextMarker}
	cases := []test.Case{
		// regional: every interface; zonal: the AZ's interface; private: as regional.
		{Qname: "vpce-0a-aaaa1111.ssm" + vz, Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("vpce-0a-aaaa1111.ssm" + vz + " 60 IN A 10.0.1.10"), test.A("vpce-0a-aaaa1111.ssm" + vz + " 60 IN A 10.0.2.10")}},
		{Qname: "vpce-0a-aaaa1111-us-east-1b.ssm" + vz, Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("vpce-0a-aaaa1111-us-east-1b.ssm" + vz + " 60 IN A 10.0.2.10")}},
		{Qname: "ssm.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("ssm.us-east-1.amazonaws.com. 60 IN A 10.0.1.10"), test.A("ssm.us-east-1.amazonaws.com. 60 IN A 10.0.2.10")}},
		// ipv4: no AAAA, NODATA with the zone's SOA.
		{Qname: "ssm.us-east-1.amazonaws.com.", Qtype: dns.TypeAAAA, Ns: []dns.RR{soa("ssm.us-east-1.amazonaws.com.", "60")}},
		{Qname: "vpce-0a-aaaa1111.ssm" + vz, Qtype: dns.TypeAAAA, Ns: []dns.RR{soa("us-east-1.vpce.amazonaws.com.", "60")}},
		{Qname: "ssm.us-east-1.amazonaws.com.", Qtype: dns.TypeTXT, Ns: []dns.RR{soa("ssm.us-east-1.amazonaws.com.", "60")}},
		// ipv6: AAAA only.
		{Qname: "ec2.us-east-1.amazonaws.com.", Qtype: dns.TypeAAAA, Answer: []dns.RR{test.AAAA("ec2.us-east-1.amazonaws.com. 60 IN AAAA 2600:1f18::b1")}},
		{Qname: "ec2.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Ns: []dns.RR{soa("ec2.us-east-1.amazonaws.com.", "60")}},
		{Qname: "vpce-0b-bbbb1111.ec2" + vz, Qtype: dns.TypeA, Ns: []dns.RR{soa("us-east-1.vpce.amazonaws.com.", "60")}},
		// dualstack: A and AAAA for every name.
		{Qname: "sts.us-east-1.amazonaws.com.", Qtype: dns.TypeAAAA, Answer: []dns.RR{
			test.AAAA("sts.us-east-1.amazonaws.com. 60 IN AAAA 2600:1f18::c1"), test.AAAA("sts.us-east-1.amazonaws.com. 60 IN AAAA 2600:1f18::c2")}},
		{Qname: "vpce-0c-cccc1111-us-east-1a.sts" + vz, Qtype: dns.TypeAAAA, Answer: []dns.RR{
			test.AAAA("vpce-0c-cccc1111-us-east-1a.sts" + vz + " 60 IN AAAA 2600:1f18::c1")}},
		{Qname: "sts.us-east-1.amazonaws.com.", Qtype: dns.TypeANY, Answer: []dns.RR{
			test.A("sts.us-east-1.amazonaws.com. 60 IN A 10.0.1.12"), test.A("sts.us-east-1.amazonaws.com. 60 IN A 10.0.2.12"),
			test.AAAA("sts.us-east-1.amazonaws.com. 60 IN AAAA 2600:1f18::c1"), test.AAAA("sts.us-east-1.amazonaws.com. 60 IN AAAA 2600:1f18::c2")}},
		// service-defined: A everywhere, AAAA for regional and zonal names only.
		{Qname: "kms.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("kms.us-east-1.amazonaws.com. 60 IN A 10.0.1.13")}},
		{Qname: "kms.us-east-1.amazonaws.com.", Qtype: dns.TypeAAAA, Ns: []dns.RR{soa("kms.us-east-1.amazonaws.com.", "60")}},
		{Qname: "vpce-0d-dddd1111.kms" + vz, Qtype: dns.TypeAAAA, Answer: []dns.RR{test.AAAA("vpce-0d-dddd1111.kms" + vz + " 60 IN AAAA 2600:1f18::d1")}},
		{Qname: "vpce-0d-dddd1111-us-east-1a.kms" + vz, Qtype: dns.TypeA, Answer: []dns.RR{test.A("vpce-0d-dddd1111-us-east-1a.kms" + vz + " 60 IN A 10.0.1.13")}},
		// wildcards match at any depth; an exact name wins over them; the apex is not a wildcard match.
		{Qname: "bucket.s3.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("bucket.s3.us-east-1.amazonaws.com. 60 IN A 10.0.1.14")}},
		{Qname: "a.b.bucket.s3.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("a.b.bucket.s3.us-east-1.amazonaws.com. 60 IN A 10.0.1.14")}},
		{Qname: "special.s3.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("special.s3.us-east-1.amazonaws.com. 60 IN A 10.0.1.15")}},
		{Qname: "x.special.s3.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("x.special.s3.us-east-1.amazonaws.com. 60 IN A 10.0.1.14")}},
		{Qname: "s3.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: passed},
		{Qname: "bucket.vpce-0e-eeee1111.s3" + vz, Qtype: dns.TypeA, Answer: []dns.RR{test.A("bucket.vpce-0e-eeee1111.s3" + vz + " 60 IN A 10.0.1.14")}},
		// case-insensitive, and the answer echoes the question's case.
		{Qname: "SSM.Us-East-1.AmazonAWS.com.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("SSM.Us-East-1.AmazonAWS.com. 60 IN A 10.0.1.10"), test.A("SSM.Us-East-1.AmazonAWS.com. 60 IN A 10.0.2.10")}},
		// private DNS disabled: the private name is not served, the endpoint's own names are.
		{Qname: "logs.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: passed},
		{Qname: "vpce-0g-gggg1111.logs" + vz, Qtype: dns.TypeA, Answer: []dns.RR{test.A("vpce-0g-gggg1111.logs" + vz + " 60 IN A 10.0.1.16")}},
		// only available Interface endpoints, compared case-insensitively.
		{Qname: "pending.example.com.", Qtype: dns.TypeA, Answer: passed},
		{Qname: "vpce-0h-hhhh1111.vpce-svc-0123" + vz, Qtype: dns.TypeA, Answer: passed},
		{Qname: "gateway.example.com.", Qtype: dns.TypeA, Answer: passed},
		{Qname: "upper.example.com.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("upper.example.com. 60 IN A 10.0.1.23")}},
		// a private name in two VPCs: the oldest endpoint, then the smallest id.
		{Qname: "conflict.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("conflict.us-east-1.amazonaws.com. 60 IN A 10.0.1.21")}},
		// anything else goes on, even under a served private name.
		{Qname: "foo.ssm.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: passed},
		{Qname: "example.org.", Qtype: dns.TypeA, Answer: passed},
	}
	for _, tc := range cases {
		t.Run(dns.TypeToString[tc.Qtype]+" "+tc.Qname, func(t *testing.T) {
			resp := serve(t, v, tc.Msg())
			if err := test.SortAndCheck(resp, tc); err != nil {
				t.Fatal(err)
			}
			if len(tc.Answer) > 0 && tc.Answer[0] == nextMarker {
				return
			}
			// A recursive resolver's answer, as in the seed: qr rd ra, no aa.
			if !resp.Response || !resp.RecursionDesired || !resp.RecursionAvailable || resp.Authoritative {
				t.Errorf("flags: qr=%v rd=%v ra=%v aa=%v, want qr rd ra", resp.Response, resp.RecursionDesired, resp.RecursionAvailable, resp.Authoritative)
			}
		})
	}
}

func TestAuthoritative(t *testing.T) {
	v := newTestVPCE(t, "testdata/answers.json", index.Options{TTL: 30, Authoritative: true})
	cases := []test.Case{
		// The managed private hosted zone's behaviour: unknown names under a private name are NXDOMAIN.
		{Qname: "foo.ssm.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("ssm.us-east-1.amazonaws.com.", "30")}},
		{Qname: "a.b.kms.us-east-1.amazonaws.com.", Qtype: dns.TypeAAAA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("kms.us-east-1.amazonaws.com.", "30")}},
		// The apex of a wildcard-only zone exists, without records.
		{Qname: "s3.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Ns: []dns.RR{soa("s3.us-east-1.amazonaws.com.", "30")}},
		// Served names still answer, with the configured TTL.
		{Qname: "ssm.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("ssm.us-east-1.amazonaws.com. 30 IN A 10.0.1.10"), test.A("ssm.us-east-1.amazonaws.com. 30 IN A 10.0.2.10")}},
		// Outside every private name, and for the public vpce names, queries still go on.
		{Qname: "amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{nextMarker}},
		{Qname: "vpce-0f-unknown.ssm" + vz, Qtype: dns.TypeA, Answer: []dns.RR{nextMarker}},
		// A private name of an endpoint with private DNS disabled is no zone of ours.
		{Qname: "x.logs.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{nextMarker}},
	}
	for _, tc := range cases {
		resp := serve(t, v, tc.Msg())
		if err := test.SortAndCheck(resp, tc); err != nil {
			t.Errorf("%s %s: %v", dns.TypeToString[tc.Qtype], tc.Qname, err)
		}
	}
}

func TestVPCPriority(t *testing.T) {
	// Listed VPCs win in list order over the default (oldest, then smallest id).
	v := newTestVPCE(t, "testdata/answers.json", index.Options{TTL: 60, VPCs: []string{"vpc-3", "vpc-2"}})
	tc := test.Case{Qname: "conflict.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("conflict.us-east-1.amazonaws.com. 60 IN A 10.0.1.22")}}
	if err := test.SortAndCheck(serve(t, v, tc.Msg()), tc); err != nil {
		t.Error(err)
	}
}

func TestRotation(t *testing.T) {
	v := newTestVPCE(t, "testdata/answers.json", index.Options{TTL: 60})
	m := new(dns.Msg)
	m.SetQuestion("ssm.us-east-1.amazonaws.com.", dns.TypeA)
	var firsts []string
	for range 4 {
		resp := serve(t, v, m)
		if len(resp.Answer) != 2 {
			t.Fatalf("got %d answers, want 2", len(resp.Answer))
		}
		firsts = append(firsts, resp.Answer[0].(*dns.A).A.String())
	}
	// The first answer keeps interface order, then the order rotates.
	want := []string{"10.0.1.10", "10.0.2.10", "10.0.1.10", "10.0.2.10"}
	for i := range want {
		if firsts[i] != want[i] {
			t.Fatalf("first addresses = %v, want %v", firsts, want)
		}
	}
}

func TestZonesAndClass(t *testing.T) {
	v := newTestVPCE(t, "testdata/answers.json", index.Options{TTL: 60}, "US-EAST-1.vpce.amazonaws.com", "example.com.")
	cases := []struct {
		name  string
		class uint16
		ours  bool
	}{
		{"vpce-0a-aaaa1111.ssm" + vz, dns.ClassINET, true},
		{"upper.example.com.", dns.ClassINET, true},
		{"ssm.us-east-1.amazonaws.com.", dns.ClassINET, false}, // held, but outside the block's zones
		{"upper.example.com.", dns.ClassCHAOS, false},
	}
	for _, tc := range cases {
		m := new(dns.Msg)
		m.SetQuestion(tc.name, dns.TypeA)
		m.Question[0].Qclass = tc.class
		resp := serve(t, v, m)
		passed := len(resp.Answer) == 1 && resp.Answer[0] == nextMarker
		if passed == tc.ours {
			t.Errorf("%s class %d: passed on = %v, want %v", tc.name, tc.class, passed, !tc.ours)
		}
	}
}

func TestNoViewPassesOn(t *testing.T) {
	v := newBareVPCE(nextPlugin, ".")
	m := new(dns.Msg)
	m.SetQuestion("ssm.us-east-1.amazonaws.com.", dns.TypeA)
	if resp := serve(t, v, m); len(resp.Answer) != 1 || resp.Answer[0] != nextMarker {
		t.Errorf("without a view: %v, want the next plugin's answer", resp.Answer)
	}
	if v.Ready() {
		t.Error("ready without a view")
	}
}

func TestLowerName(t *testing.T) {
	for _, name := range []string{
		"ssm.us-east-1.amazonaws.com.", "SSM.Us-East-1.AmazonAWS.com.", ".",
		"Ä.example.com.", "\xffX.example.com.", // not ASCII: Unicode's case mapping
		strings.Repeat(`A\065`, 60) + ".com.", // longer than the buffer
	} {
		var buf [index.NameBuf]byte
		if got, want := string(lowerName(&buf, name)), strings.ToLower(name); got != want {
			t.Errorf("lowerName(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestMixedCaseAllocs checks that a mixed-case question costs what an all-lower-case one does:
// the reply.
func TestMixedCaseAllocs(t *testing.T) {
	v := newTestVPCE(t, "testdata/answers.json", index.Options{TTL: 60})
	allocs := func(name string) float64 {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		w := &discardWriter{}
		return testing.AllocsPerRun(100, func() { v.ServeDNS(context.Background(), w, m) })
	}
	lower, mixed := allocs("ssm.us-east-1.amazonaws.com."), allocs("SSM.Us-East-1.AmazonAWS.com.")
	if mixed != lower {
		t.Errorf("%v allocations for a mixed-case question, %v for a lower-case one", mixed, lower)
	}
}
