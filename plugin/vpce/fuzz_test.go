package vpce

// Fuzz targets: `go test` runs their seed corpora (the f.Add seeds and testdata/fuzz/<Name>/);
// `make fuzz` fuzzes each for FUZZTIME. Reproducers of failures found go into
// testdata/fuzz/<Name>/ as regression seeds.

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// fuzzNextRR is what the next plugin of the fuzzed handlers answers with.
var fuzzNextRR = test.A("fuzz.next.marker. 1 IN A 192.0.2.99")

// fuzzNext stands for forward: it answers every query, even one without a question, with
// fuzzNextRR.
var fuzzNext = test.HandlerFunc(func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Answer = []dns.RR{fuzzNextRR}
	w.WriteMsg(m)
	return dns.RcodeSuccess, nil
})

// fuzzSnapshots are the snapshot files the fuzzed handlers serve, merged.
var fuzzSnapshots = []string{"testdata/answers.json", "../../example/snapshot.json"}

func fuzzInventory(tb testing.TB) *inventory.Inventory {
	tb.Helper()
	var parts []*inventory.Inventory
	for _, file := range fuzzSnapshots {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		inv, err := inventory.Parse(file, data)
		if err != nil {
			tb.Fatal(err)
		}
		parts = append(parts, inv)
	}
	return inventory.Merge(parts...)
}

// fuzzHandler is one plugin configuration under test, with the index it serves.
type fuzzHandler struct {
	name  string
	v     *VPCE
	ix    *index
	zones [][]string // the zones' labels, for the oracle
	auth  bool
}

func fuzzHandlers(tb testing.TB) []fuzzHandler {
	tb.Helper()
	inv := fuzzInventory(tb)
	var hs []fuzzHandler
	for _, c := range []struct {
		name  string
		auth  bool
		zones []string
	}{
		{"plain", false, []string{"."}},
		{"authoritative", true, []string{"."}},
		{"zoned", true, []string{"US-EAST-1.vpce.amazonaws.com", "s3.ap-northeast-1.amazonaws.com.", "bucket.s3.us-east-1.amazonaws.com", "example.com"}},
	} {
		ix, _ := buildIndex(inv, buildOptions{ttl: 60, authoritative: c.auth})
		v := newBareVPCE(fuzzNext, c.zones...)
		v.index.Store(ix)
		h := fuzzHandler{name: c.name, v: v, ix: ix, auth: c.auth}
		for _, z := range v.zones {
			labels, _ := wireLabels(z)
			h.zones = append(h.zones, labels)
		}
		hs = append(hs, h)
	}
	return hs
}

// wireLabels returns the labels of a presentation-form name as they go on the wire, with
// ASCII letters lower-cased: escapes (\. \DDD) resolved, so that a dot inside a label is not
// taken for a separator.
func wireLabels(name string) ([]string, bool) {
	buf := make([]byte, 1024)
	n, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return nil, false
	}
	var labels []string
	for i := 0; i < n && buf[i] != 0; {
		l := int(buf[i])
		labels = append(labels, asciiLower(string(buf[i+1:i+1+l])))
		i += 1 + l
	}
	return labels, true
}

// asciiLower lower-cases A-Z only, as DNS compares names.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// joinLabels makes the index key of labels, or "" if a label holds a dot (no key can match).
func joinLabels(labels []string) string {
	for _, l := range labels {
		if strings.ContainsRune(l, '.') {
			return ""
		}
	}
	return strings.Join(labels, ".") + "."
}

// oracle is what the handler must do with a question of these labels, worked out label by
// label as DNS defines names: an exact name, else the closest enclosing wildcard (strictly
// below its apex), else (authoritative) the private zone's NODATA or NXDOMAIN, else the next
// plugin.
func (h *fuzzHandler) oracle(labels []string) (*rrset, result) {
	inZone := false
	for _, z := range h.zones {
		if len(labels) >= len(z) && slices.Equal(labels[len(labels)-len(z):], z) {
			inZone = true
		}
	}
	if !inZone {
		return nil, resultMiss
	}
	if rs, ok := h.ix.exact[joinLabels(labels)]; ok {
		return rs, resultAnswer
	}
	for k := 1; k < len(labels); k++ {
		if rs, ok := h.ix.wild[joinLabels(labels[k:])]; ok {
			return rs, resultAnswer
		}
	}
	if h.ix.apexes == nil {
		return nil, resultMiss
	}
	if _, ok := h.ix.apexes[joinLabels(labels)]; ok {
		return nil, resultNodata
	}
	for k := 1; k < len(labels); k++ {
		if _, ok := h.ix.apexes[joinLabels(labels[k:])]; ok {
			return nil, resultNXDomain
		}
	}
	return nil, resultMiss
}

func FuzzServeDNS(f *testing.F) {
	for _, s := range fuzzServeDNSSeeds() {
		f.Add(s)
	}
	handlers := fuzzHandlers(f)
	f.Fuzz(func(t *testing.T, wire []byte) {
		r := new(dns.Msg)
		if r.Unpack(wire) != nil {
			return
		}
		for i := range handlers {
			checkServeDNS(t, &handlers[i], r.Copy())
		}
	})
}

func checkServeDNS(t *testing.T, h *fuzzHandler, r *dns.Msg) {
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	rcode, err := h.v.ServeDNS(context.Background(), rec, r)
	if err != nil {
		t.Fatalf("%s: ServeDNS: %v", h.name, err)
	}
	m := rec.Msg
	if m == nil {
		t.Fatalf("%s: ServeDNS wrote nothing", h.name)
	}
	if rcode != m.Rcode {
		t.Errorf("%s: ServeDNS returned rcode %d, wrote %d", h.name, rcode, m.Rcode)
	}
	// Every reply goes on the wire and comes back the same.
	packed, err := m.Pack()
	if err != nil {
		// Not ours if the question itself does not survive a round trip through miekg/dns.
		q := new(dns.Msg)
		q.Question = r.Question
		if _, qerr := q.Pack(); qerr == nil {
			t.Fatalf("%s: reply does not pack: %v\n%s", h.name, err, m)
		}
		return
	}
	back := new(dns.Msg)
	if err := back.Unpack(packed); err != nil {
		t.Fatalf("%s: packed reply does not unpack: %v\n%s", h.name, err, m)
	}
	if len(back.Answer) != len(m.Answer) || len(back.Ns) != len(m.Ns) || back.Rcode != m.Rcode {
		t.Fatalf("%s: reply changed in a round trip:\n%s\n----\n%s", h.name, m, back)
	}

	passed := len(m.Answer) == 1 && m.Answer[0] == fuzzNextRR
	want, res := (*rrset)(nil), resultMiss
	if len(r.Question) == 1 && r.Question[0].Qclass == dns.ClassINET {
		labels, ok := wireLabels(r.Question[0].Name)
		if !ok {
			t.Fatalf("%s: question name %q does not pack", h.name, r.Question[0].Name)
		}
		want, res = h.oracle(labels)
	}
	if res == resultAnswer && want.inboundOnlyVPC != "" && h.ix.clients != nil && passed {
		return // an inbound-only endpoint's private name, asked from inside its VPC
	}
	if res == resultMiss {
		if !passed {
			t.Fatalf("%s: %v answered, want it passed on\n%s", h.name, r.Question, m)
		}
		return
	}
	if passed {
		t.Fatalf("%s: %v passed on, want %v\n%s", h.name, r.Question, res, m)
	}
	q := r.Question[0]
	if !m.Response || m.Id != r.Id || m.Opcode != r.Opcode || len(m.Question) != 1 || m.Question[0] != q {
		t.Errorf("%s: reply header or question does not match the query:\n%s", h.name, m)
	}
	switch m.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		if !h.auth {
			t.Errorf("%s: NXDOMAIN without authoritative", h.name)
		}
	default:
		t.Errorf("%s: rcode %s", h.name, dns.RcodeToString[m.Rcode])
	}
	if wantRcode := map[result]int{resultAnswer: dns.RcodeSuccess, resultNodata: dns.RcodeSuccess, resultNXDomain: dns.RcodeNameError}[res]; m.Rcode != wantRcode {
		t.Fatalf("%s: %v: rcode %s, want %s (%v)\n%s", h.name, q, dns.RcodeToString[m.Rcode], dns.RcodeToString[wantRcode], res, m)
	}
	var gotA, gotAAAA, wantA, wantAAAA []string
	for _, rr := range m.Answer {
		if rr.Header().Name != q.Name {
			t.Errorf("%s: answer owner %q, question %q", h.name, rr.Header().Name, q.Name)
		}
		switch rr := rr.(type) {
		case *dns.A:
			gotA = append(gotA, rr.A.String())
		case *dns.AAAA:
			gotAAAA = append(gotAAAA, rr.AAAA.String())
		default:
			t.Errorf("%s: answer record %s", h.name, rr)
		}
	}
	if want != nil {
		if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
			wantA = ipStrings(want.a.ips)
		}
		if q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY {
			wantAAAA = ipStrings(want.aaaa.ips)
		}
	}
	slices.Sort(gotA)
	slices.Sort(gotAAAA)
	slices.Sort(wantA)
	slices.Sort(wantAAAA)
	if !slices.Equal(gotA, wantA) || !slices.Equal(gotAAAA, wantAAAA) {
		t.Fatalf("%s: %v: answered A %v AAAA %v, want A %v AAAA %v", h.name, q, gotA, gotAAAA, wantA, wantAAAA)
	}
	// A negative answer carries the zone's SOA, and only then.
	if (len(m.Answer) == 0) != (len(m.Ns) == 1) {
		t.Errorf("%s: %d answers with %d authority records", h.name, len(m.Answer), len(m.Ns))
	}
	for _, rr := range m.Ns {
		if _, ok := rr.(*dns.SOA); !ok {
			t.Errorf("%s: authority record %s", h.name, rr)
		}
	}
}

func ipStrings(ips []net.IP) []string {
	var s []string
	for _, ip := range ips {
		s = append(s, ip.String())
	}
	return s
}

// fuzzServeDNSSeeds are queries worth mutating: served names of every kind, wildcards, the
// authoritative traps, odd classes, types, section counts and EDNS.
func fuzzServeDNSSeeds() [][]byte {
	var seeds [][]byte
	add := func(m *dns.Msg) {
		b, err := m.Pack()
		if err != nil {
			panic(err)
		}
		seeds = append(seeds, b)
	}
	q := func(name string, qtype uint16) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.Id = 0x1234
		return m
	}
	for _, name := range []string{
		"ssm.us-east-1.amazonaws.com.", "SSM.Us-East-1.AmazonAWS.com.", "vpce-0a-aaaa1111-us-east-1b.ssm.us-east-1.vpce.amazonaws.com.",
		"sts.us-east-1.amazonaws.com.", "kms.us-east-1.amazonaws.com.", "a.b.bucket.s3.us-east-1.amazonaws.com.",
		"special.s3.us-east-1.amazonaws.com.", "s3.us-east-1.amazonaws.com.", "foo.ssm.us-east-1.amazonaws.com.",
		"bucket.s3.ap-northeast-1.amazonaws.com.", "ssm.ap-northeast-1.amazonaws.com.", "upper.example.com.", "example.org.", ".",
	} {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeANY, dns.TypeTXT} {
			add(q(name, qtype))
		}
	}
	m := q("sts.us-east-1.amazonaws.com.", dns.TypeA)
	m.SetEdns0(4096, true)
	add(m)
	m = q("ssm.us-east-1.amazonaws.com.", dns.TypeA)
	m.Question[0].Qclass = dns.ClassCHAOS
	add(m)
	m = q("ssm.us-east-1.amazonaws.com.", dns.TypeA)
	m.Question = append(m.Question, dns.Question{Name: "kms.us-east-1.amazonaws.com.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
	add(m)
	m = q("ssm.us-east-1.amazonaws.com.", dns.TypeA)
	m.Question = nil
	add(m)
	m = q("ssm.us-east-1.amazonaws.com.", dns.TypeA)
	m.Opcode = dns.OpcodeNotify
	add(m)
	long := strings.Repeat(strings.Repeat("a", 63)+".", 2) + strings.Repeat("b", 50) + ".s3.ap-northeast-1.amazonaws.com."
	add(q(long, dns.TypeA))
	return seeds
}

// snapshotErr is how every snapshot error starts: file, line and column.
var snapshotErr = regexp.MustCompile(`^fuzz\.json:([0-9]+):([0-9]+): `)

func FuzzSnapshot(f *testing.F) {
	for _, file := range fuzzSnapshots {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"VpcEndpoints": null}`, `{"VpcEndpoints": {}}`, `{"VpcEndpoints": [1]}`,
		"{\"VpcEndpoints\": [\n{\"VpcEndpointId\": \"vpce-1\"", `{} {}`, `{"NextToken": "x", "VpcEndpoints": []}`,
		`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available", "CreationTimestamp": "yesterday"}]}`,
		`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available", "PrivateDnsEnabled": true,
		  "NetworkInterfaceIds": ["eni-1", "eni-1"], "DnsEntries": [{"DnsName": "*.x.example.com"}, {"DnsName": "a.*.b.com"}, {"DnsName": "*.com"}]}],
		  "NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddress": "10.0.0.1", "Ipv6Address": "10.0.0.2",
		  "PrivateIpAddresses": [{"PrivateIpAddress": "fe80::1"}], "Ipv6Addresses": [{"Ipv6Address": "::ffff:10.0.0.3"}]}]}`,
		`{"ServiceDetails": [{"ServiceName": "com.amazonaws.us-east-1.s3"}], "NetworkInterfaces": [{"NetworkInterfaceId": "eni-1"}]}`,
		"{\"VpcEndpoints\": [{\"VpcEndpointId\": \"vpce-1\", \"State\": \"sleeping\"}]}",
		"\xef\xbb\xbf{}", "{\"VpcEndpoints\": [{\"VpcEndpointId\": \"\xff\"}]}", strings.Repeat("[", 20000),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := inventory.Parse("fuzz.json", data)
		if err != nil {
			checkSnapshotErr(t, data, err)
			return
		}
		if inv == nil {
			t.Fatal("no inventory and no error")
		}
		for _, opts := range []buildOptions{{ttl: 60}, {ttl: 0, authoritative: true}, {ttl: 5, vpcs: []string{"vpc-2", "vpc-1"}}} {
			ix, _ := buildIndex(inv, opts)
			checkIndex(t, ix)
		}
	})
}

// checkSnapshotErr checks that err names the file and a line and column inside data.
func checkSnapshotErr(t *testing.T, data []byte, err error) {
	t.Helper()
	sm := snapshotErr.FindStringSubmatch(err.Error())
	if sm == nil {
		t.Fatalf("error without file:line:col: %q", err)
	}
	line, _ := strconv.Atoi(sm[1])
	col, _ := strconv.Atoi(sm[2])
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1])+1 {
		t.Fatalf("error %q points outside the input (%d lines)", err, len(lines))
	}
}

// checkIndex checks the invariants of a built index and looks up every name in it.
func checkIndex(t *testing.T, ix *index) {
	t.Helper()
	checkName := func(what, name string, star bool) {
		if name != strings.ToLower(name) {
			t.Errorf("%s %q is not lower-case", what, name)
		}
		if !dns.IsFqdn(name) {
			t.Errorf("%s %q is not an FQDN", what, name)
		}
		if _, ok := dns.IsDomainName(name); !ok {
			t.Errorf("%s %q is not a domain name", what, name)
		}
		buf := make([]byte, 1024)
		if n, err := dns.PackDomainName(name, buf, 0, nil, false); err != nil || n > 255 {
			t.Errorf("%s %q: %d wire bytes (%v), want at most 255", what, name, n, err)
		}
		rest := name
		if star {
			rest = strings.TrimPrefix(name, "*.")
		}
		if strings.Contains(rest, "*") {
			t.Errorf("%s %q holds a '*'", what, name)
		}
	}
	for name, rs := range ix.exact {
		checkName("exact name", name, false)
		checkRRset(t, name, rs)
		if got, _, res := ix.lookup(name); res != resultAnswer || got != rs {
			t.Errorf("lookup(%q) = %v, want its own records", name, res)
		}
	}
	for name, rs := range ix.wild {
		checkName("wildcard apex", name, false)
		// The wildcard itself must be a valid name, or no name below it could be asked for.
		checkName("wildcard", "*."+name, true)
		if dns.CountLabel(name) < 2 {
			t.Errorf("wildcard *.%s captures a top-level domain or the root", name)
		}
		checkRRset(t, "*."+name, rs)
		if below := "x." + name; len(below) <= 254 {
			if _, _, res := ix.lookup(below); res != resultAnswer {
				t.Errorf("lookup(%q) below a wildcard = %v, want answer", below, res)
			}
		}
		if rs2, _, res := ix.lookup(name); res == resultAnswer && rs2 == rs && ix.exact[name] != rs {
			t.Errorf("lookup(%q): the apex matched its own wildcard", name)
		}
	}
	for name := range ix.apexes {
		checkName("zone", name, false)
	}
}

func checkRRset(t *testing.T, name string, rs *rrset) {
	t.Helper()
	if rs == nil || rs.soa == nil {
		t.Fatalf("%s: no records or no SOA", name)
	}
	for _, ip := range rs.a.ips {
		if len(ip) != net.IPv4len || ip.To4() == nil {
			t.Errorf("%s: A record address %v is not IPv4", name, ip)
		}
	}
	for _, ip := range rs.aaaa.ips {
		if len(ip) != net.IPv6len || ip.To4() != nil {
			t.Errorf("%s: AAAA record address %v is not IPv6", name, ip)
		}
	}
}

// fuzzReader hands out the fuzzer's control bytes, then zeros.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) next() int {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return int(c)
}

// pick returns one of list, chosen by the next control byte.
func pick[T any](r *fuzzReader, list []T) T { return list[r.next()%len(list)] }

// optString returns nil or a pointer to s, by the next control byte.
func (r *fuzzReader) optString(s string) *string {
	if r.next()%4 == 0 {
		return nil
	}
	return aws.String(s)
}

var (
	fuzzEndpointIDs = []string{"vpce-0a", "vpce-0b", "VPCE-0A", "vpce-0c", "", "vpce-0d"}
	fuzzENIIDs      = []string{"eni-1", "eni-2", "eni-3", "eni-1", "", "eni-4", "eni-5"}
	fuzzTypes       = []types.VpcEndpointType{"Interface", "interface", "Gateway", "GatewayLoadBalancer", "Resource", "bogus", ""}
	fuzzStates      = []types.State{"available", "Available", "AVAILABLE", "pendingAcceptance", "pending", "deleting", "deleted",
		"rejected", "failed", "expired", "partial", "bogus", ""}
	fuzzIPTypes  = []string{"ipv4", "ipv6", "dualstack", "service-defined", "IPV6", "Dualstack", "not-specified", "bogus", ""}
	fuzzAZs      = []string{"us-east-1a", "US-EAST-1B", "us-east-1c", ""}
	fuzzVPCs     = []string{"vpc-1", "vpc-2", "vpc-3", ""}
	fuzzServices = []string{"com.amazonaws.us-east-1.s3", "com.amazonaws.vpce.us-east-1.vpce-svc-0abc", "", "com.amazonaws.us-east-1.ssm"}
)

// FuzzBuild builds an inventory from fuzzed parts (names, addresses, and control bytes that
// pick ids, types, states, record types and which interfaces each endpoint lists) and checks
// the built index's invariants.
func FuzzBuild(f *testing.F) {
	f.Add([]byte{3, 0, 0, 0, 0, 1, 1, 2, 2, 1, 0, 0, 1, 1, 1, 2, 2, 1, 3, 0, 0, 0, 0, 1, 2, 1, 1, 2, 0, 1, 2, 3, 4},
		"ssm.us-east-1.amazonaws.com\n*.s3.us-east-1.amazonaws.com\nSTS.US-EAST-1.AMAZONAWS.COM.\n*.com\na.*.b.example\n\n.",
		"10.0.0.1\n10.0.0.2\n2600:1f18::1\nnot-an-ip\n::ffff:10.1.1.1\n10.0.0.1")
	f.Add([]byte{6, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30},
		strings.Repeat("a", 64)+".example.com\n"+strings.Repeat(strings.Repeat("b", 63)+".", 4)+"com\nx\\.y.example.com\nfoo bar.example.com\n\xff.example.com",
		"fe80::1%eth0\n300.1.1.1\n\n0.0.0.0\n::")
	f.Add([]byte{2, 0, 3, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 3, 2, 2, 0, 3, 3, 0, 0, 0, 1, 1, 3, 3, 4},
		"*."+strings.Repeat(strings.Repeat("c", 62)+".", 4)[2:]+"com\n*.x.example.com\nx.example.com",
		"10.9.9.9\n2600::9")
	f.Fuzz(func(t *testing.T, ctl []byte, names, addrs string) {
		inv, opts := fuzzInventoryOf(ctl, strings.Split(names, "\n"), strings.Split(addrs, "\n"))
		ix, _ := buildIndex(inv, opts)
		checkIndex(t, ix)
		checkContributors(t, inv, opts, ix)
		for _, a := range strings.Split(addrs, "\n") {
			if ip, err := netip.ParseAddr(a); err == nil {
				ix.clients.lookup(ip)
			}
		}
	})
}

func fuzzInventoryOf(ctl []byte, names, addrs []string) (*inventory.Inventory, buildOptions) {
	r := &fuzzReader{b: ctl}
	inv := &inventory.Inventory{}
	for range r.next() % 8 {
		ni := types.NetworkInterface{
			NetworkInterfaceId: aws.String(pick(r, fuzzENIIDs)),
			AvailabilityZone:   r.optString(pick(r, fuzzAZs)),
			PrivateIpAddress:   r.optString(pick(r, addrs)),
			Ipv6Address:        r.optString(pick(r, addrs)),
		}
		for range r.next() % 3 {
			ni.PrivateIpAddresses = append(ni.PrivateIpAddresses, types.NetworkInterfacePrivateIpAddress{PrivateIpAddress: r.optString(pick(r, addrs))})
		}
		for range r.next() % 3 {
			ni.Ipv6Addresses = append(ni.Ipv6Addresses, types.NetworkInterfaceIpv6Address{Ipv6Address: r.optString(pick(r, addrs))})
		}
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, ni)
	}
	for range r.next() % 4 {
		sd := types.ServiceDetail{
			ServiceName:                     aws.String(pick(r, fuzzServices)),
			Owner:                           r.optString(pick(r, []string{"amazon", "123456789012", "AMAZON"})),
			PrivateDnsNameVerificationState: pick(r, []types.DnsNameState{"verified", "pendingVerification", "failed", "Verified", ""}),
			PrivateDnsName:                  r.optString(pick(r, names)),
		}
		for range r.next() % 3 {
			sd.PrivateDnsNames = append(sd.PrivateDnsNames, types.PrivateDnsDetails{PrivateDnsName: r.optString(pick(r, names))})
		}
		inv.ServiceDetails = append(inv.ServiceDetails, sd)
	}
	for range r.next() % 3 {
		inv.Subnets = append(inv.Subnets, types.Subnet{
			VpcId:              r.optString(pick(r, fuzzVPCs)),
			AvailabilityZone:   r.optString(pick(r, fuzzAZs)),
			AvailabilityZoneId: r.optString(pick(r, []string{"use1-az1", "USE1-AZ2", "", "bogus"})),
			CidrBlock:          r.optString(pick(r, addrs) + pick(r, []string{"/24", "/32", "/0", "/33", "", "/64"})),
			Ipv6CidrBlockAssociationSet: []types.SubnetIpv6CidrBlockAssociation{
				{Ipv6CidrBlock: r.optString(pick(r, addrs) + pick(r, []string{"/64", "/128", "/129", ""}))},
			},
		})
	}
	for range r.next() % 7 {
		id := pick(r, fuzzEndpointIDs)
		ep := types.VpcEndpoint{
			VpcEndpointId:   r.optString(id),
			VpcEndpointType: pick(r, fuzzTypes),
			State:           pick(r, fuzzStates),
			VpcId:           r.optString(pick(r, fuzzVPCs)),
			IpAddressType:   types.IpAddressType(pick(r, fuzzIPTypes)),
			ServiceName:     r.optString(pick(r, fuzzServices)),
		}
		if r.next()%2 == 0 {
			ep.DnsOptions = &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpType(pick(r, fuzzIPTypes)),
				PrivateDnsOnlyForInboundResolverEndpoint: aws.Bool(r.next()%2 == 0)}
		}
		switch r.next() % 3 {
		case 0:
			ep.PrivateDnsEnabled = aws.Bool(true)
		case 1:
			ep.PrivateDnsEnabled = aws.Bool(false)
		}
		if c := r.next() % 4; c > 0 {
			ep.CreationTimestamp = aws.Time(time.Date(2024, 1, c, 0, 0, 0, 0, time.UTC))
		}
		for range r.next() % 4 {
			ep.NetworkInterfaceIds = append(ep.NetworkInterfaceIds, pick(r, fuzzENIIDs))
		}
		for range r.next() % 6 {
			name := pick(r, names)
			switch r.next() % 6 {
			case 1:
				name = "*." + name
			case 2:
				name = strings.ToUpper(name) + "."
			case 3: // regional
				name = id + "-abcd1234." + name
			case 4: // zonal
				name = id + "-abcd1234-" + pick(r, fuzzAZs) + "." + name
			case 5:
				name = fmt.Sprintf("*.%s-abcd1234.%s", id, name)
			}
			ep.DnsEntries = append(ep.DnsEntries, types.DnsEntry{DnsName: r.optString(name)})
		}
		inv.VpcEndpoints = append(inv.VpcEndpoints, ep)
	}
	opts := buildOptions{ttl: uint32(r.next()), authoritative: r.next()%2 == 1,
		privateDNS: pick(r, []privateDNSMode{privateDNSEnabled, privateDNSAll, privateDNSOff})}
	switch r.next() % 3 {
	case 1:
		opts.vpcs = []string{"vpc-2"}
	case 2:
		opts.vpcs = []string{"vpc-3", "vpc-1"}
	}
	return inv, opts
}

// checkContributors checks that every served name is offered by an available Interface
// endpoint (the first of those with its id), a private name only by one with private DNS, and
// that its addresses are those of such an endpoint's interfaces.
func checkContributors(t *testing.T, inv *inventory.Inventory, opts buildOptions, ix *index) {
	t.Helper()
	enis := map[string]*types.NetworkInterface{}
	for i := range inv.NetworkInterfaces {
		ni := &inv.NetworkInterfaces[i]
		if id := aws.ToString(ni.NetworkInterfaceId); id != "" && enis[id] == nil {
			enis[id] = ni
		}
	}
	services := servicePrivateNames(inv.ServiceDetails) // its owner check is TestPrivateDNSModes's
	type offer struct {
		private bool
		addrs   map[string]bool
	}
	offers := map[string][]offer{} // by index key, with "*." for wildcards
	seen := map[string]bool{}
	eligible := 0
	for _, ep := range inv.VpcEndpoints {
		id := strings.ToLower(aws.ToString(ep.VpcEndpointId))
		if id == "" || seen[id] || !strings.EqualFold(string(ep.VpcEndpointType), "Interface") || !strings.EqualFold(string(ep.State), "available") {
			continue
		}
		seen[id] = true
		if len(opts.vpcs) > 0 && !slices.Contains(opts.vpcs, aws.ToString(ep.VpcId)) {
			continue
		}
		eligible++
		addrs := map[string]bool{}
		for _, nid := range ep.NetworkInterfaceIds {
			ni := enis[nid]
			if ni == nil {
				continue
			}
			for _, s := range []*string{ni.PrivateIpAddress, ni.Ipv6Address} {
				if ip := net.ParseIP(aws.ToString(s)); ip != nil {
					addrs[ip.String()] = true
				}
			}
			for _, p := range ni.PrivateIpAddresses {
				if ip := net.ParseIP(aws.ToString(p.PrivateIpAddress)); ip != nil {
					addrs[ip.String()] = true
				}
			}
			for _, p := range ni.Ipv6Addresses {
				if ip := net.ParseIP(aws.ToString(p.Ipv6Address)); ip != nil {
					addrs[ip.String()] = true
				}
			}
		}
		// Private names: of endpoints with private DNS (unless private_dns off), and with
		// private_dns all, of hub endpoints without it, from their service.
		enabled := aws.ToBool(ep.PrivateDnsEnabled)
		privateOK := enabled && opts.privateDNS != privateDNSOff || !enabled && opts.privateDNS == privateDNSAll
		var names []string
		for _, e := range ep.DnsEntries {
			names = append(names, aws.ToString(e.DnsName))
		}
		if !enabled && opts.privateDNS == privateDNSAll {
			names = append(names, services[aws.ToString(ep.ServiceName)]...)
		}
		for _, raw := range names {
			key := strings.ToLower(dns.Fqdn(raw))
			label, _, _ := strings.Cut(strings.TrimPrefix(key, "*."), ".")
			private := !strings.HasPrefix(label, id+"-")
			if private && !privateOK {
				continue
			}
			offers[key] = append(offers[key], offer{private: private, addrs: addrs})
		}
	}
	check := func(key string, rs *rrset) {
		list := offers[key]
		if len(list) == 0 {
			t.Errorf("%s served, but no available Interface endpoint (with private DNS, for a private name) offers it", key)
			return
		}
		for _, o := range list {
			ok := true
			for _, ip := range slices.Concat(rs.a.ips, rs.aaaa.ips) {
				ok = ok && o.addrs[ip.String()]
			}
			if ok && o.private == (rs.kind == kindPrivate) {
				return
			}
		}
		t.Errorf("%s (%v) serves %v %v: not the addresses of an endpoint that offers it", key, rs.kind, rs.a, rs.aaaa)
	}
	for name, rs := range ix.exact {
		check(name, rs)
	}
	for name, rs := range ix.wild {
		check("*."+name, rs)
	}
	if ix.stats.endpoints > eligible {
		t.Errorf("%d endpoints served, only %d available Interface endpoints", ix.stats.endpoints, eligible)
	}
}
