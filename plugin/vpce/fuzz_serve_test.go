package vpce

// Fuzz targets: `go test` runs their seed corpora (the f.Add seeds and testdata/fuzz/<Name>/);
// `make fuzz` fuzzes each for FUZZTIME. Reproducers of failures found go into
// testdata/fuzz/<Name>/ as regression seeds.

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// fuzzNextRR is what the next plugin of the fuzzed handlers answers with.
var fuzzNextRR = test.A("fuzz.next.marker. 1 IN A 192.0.2.99")

// fuzzNext stands for forward.
var fuzzNext = answering(fuzzNextRR)

// fuzzSnapshots are the snapshot files the fuzzed handlers serve, merged.
var fuzzSnapshots = []string{"testdata/answers.json", "../../example/snapshot.json"}

func fuzzInventory(tb testing.TB) *inventory.Inventory {
	tb.Helper()
	return testkit.ReadSnapshots(tb, fuzzSnapshots...)
}

// fuzzHandler is one plugin configuration under test, with the index it serves.
type fuzzHandler struct {
	name  string
	v     *VPCE
	ix    *index.Index
	tab   servedView
	zones [][]string // the zones' labels, for the oracle
	auth  bool
	vpc   string // the VPC test.ResponseWriter's client (10.240.0.1) is in
}

func fuzzHandlers(tb testing.TB) []fuzzHandler {
	tb.Helper()
	inv := inventory.NewCompact(fuzzInventory(tb))
	vpcs := testkit.Compact(tb, "testdata/vpcs.json") // names offered in several VPCs
	var hs []fuzzHandler
	for _, c := range []struct {
		name  string
		inv   *inventory.Compact
		auth  bool
		zones []string
		vpc   string // client_vpc of test.ResponseWriter's client
	}{
		{"plain", inv, false, []string{"."}, ""},
		{"authoritative", inv, true, []string{"."}, ""},
		{"zoned", inv, true, []string{"US-EAST-1.vpce.amazonaws.com", "s3.ap-northeast-1.amazonaws.com.", "bucket.s3.us-east-1.amazonaws.com", "example.com"}, ""},
		{"client in vpc-0b", vpcs, false, []string{"."}, "vpc-0b"},
		{"client in vpc-0c", vpcs, true, []string{"."}, "vpc-0c"},
	} {
		opts := index.Options{TTL: 60, Authoritative: c.auth}
		if c.vpc != "" {
			opts.VPCRanges = []index.VPCRange{{VPC: c.vpc, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.240.0.0/16")}}}
		}
		ix, _ := index.Build(c.inv, opts)
		v := newBareVPCE(fuzzNext, c.zones...)
		v.index.Store(ix)
		h := fuzzHandler{name: c.name, v: v, ix: ix, tab: viewOf(ix), auth: c.auth, vpc: c.vpc}
		for _, z := range v.zones.names {
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

// servedView is what an index serves, as the oracle reads it: its names by the exact name and
// by the apex of wildcards, and its authoritative zone apexes.
type servedView struct {
	exact, wild map[string]index.Entry
	apexes      map[string]bool
}

func viewOf(ix *index.Index) servedView {
	v := servedView{exact: map[string]index.Entry{}, wild: map[string]index.Entry{}, apexes: map[string]bool{}}
	for e := range ix.Entries() {
		if e.Wildcard {
			v.wild[e.Name()] = e
		} else {
			v.exact[e.Name()] = e
		}
	}
	for _, z := range ix.Apexes() {
		v.apexes[z] = true
	}
	return v
}

// oracle is what the handler must do with a question of these labels, worked out label by
// label as DNS defines names: an exact name, else the closest enclosing wildcard (strictly
// below its apex), else (authoritative) the private zone's NODATA or NXDOMAIN, else the next
// plugin. An answer is the client's VPC's own, if the name has one.
func (h *fuzzHandler) oracle(labels []string) (*index.RRset, index.Result) {
	if !h.inZone(labels) {
		return nil, index.Miss
	}
	if e, ok := h.tab.exact[joinLabels(labels)]; ok {
		return h.forClient(e), index.Answer
	}
	for k := 1; k < len(labels); k++ {
		if e, ok := h.tab.wild[joinLabels(labels[k:])]; ok {
			return h.forClient(e), index.Answer
		}
	}
	if h.tab.apexes[joinLabels(labels)] {
		return nil, index.Nodata
	}
	for k := 1; k < len(labels); k++ {
		if h.tab.apexes[joinLabels(labels[k:])] {
			return nil, index.NXDomain
		}
	}
	return nil, index.Miss
}

// forClient is what the handler's client gets of e: its VPC's own answer, if there is one.
func (h *fuzzHandler) forClient(e index.Entry) *index.RRset {
	if own, ok := e.PerVPC[h.vpc]; ok {
		return own
	}
	return e.RRset
}

// addrs are the addresses of rs of type rrtype, in any order.
func (h *fuzzHandler) addrs(rs *index.RRset, rrtype uint16) []string {
	var out []string
	h.ix.Addrs(rs, rrtype, 0, nil, func(ip net.IP) { out = append(out, ip.String()) })
	return out
}

func (h *fuzzHandler) inZone(labels []string) bool {
	for _, z := range h.zones {
		if len(labels) >= len(z) && slices.Equal(labels[len(labels)-len(z):], z) {
			return true
		}
	}
	return false
}

// customOracle is what the handler must do with a question of these labels for the custom
// names of Resource and ServiceNetwork endpoints: a custom name answers (its CNAME), a name
// below one that nothing else serves is NXDOMAIN (authoritative); nil otherwise.
func (h *fuzzHandler) customOracle(labels []string) (*index.CustomName, string, index.Result) {
	names := h.ix.CustomNames()
	if names == nil || !h.inZone(labels) {
		return nil, "", index.Miss
	}
	if c, ok := names[joinLabels(labels)]; ok {
		return c, joinLabels(labels), index.Answer
	}
	if !h.auth {
		return nil, "", index.Miss
	}
	for k := 1; k < len(labels); k++ {
		if c, ok := names[joinLabels(labels[k:])]; ok {
			if _, res := h.oracle(labels); res == index.Miss {
				return c, joinLabels(labels[k:]), index.NXDomain
			}
			return nil, "", index.Miss
		}
	}
	return nil, "", index.Miss
}

// checkCustomReply checks the reply m to r for a custom name c: the CNAME, then the next
// plugin's answer for its target; or, below it, NXDOMAIN with the name's SOA.
func checkCustomReply(t *testing.T, h *fuzzHandler, r, m *dns.Msg, c *index.CustomName, zone string, res index.Result) {
	t.Helper()
	q := r.Question[0]
	if !m.Response || m.Id != r.Id || len(m.Question) != 1 || m.Question[0] != q {
		t.Errorf("%s: reply header or question does not match the query:\n%s", h.name, m)
	}
	if res == index.NXDomain {
		if m.Rcode != dns.RcodeNameError || len(m.Answer) != 0 || len(m.Ns) != 1 || m.Ns[0].Header().Name != zone {
			t.Fatalf("%s: %v below a custom name: want NXDOMAIN with its SOA\n%s", h.name, q, m)
		}
		return
	}
	want := 2
	if q.Qtype == dns.TypeCNAME {
		want = 1
	}
	target := c.Target(nil)
	if h.vpc != "" {
		pl, _ := h.ix.Place(netip.MustParseAddr("10.240.0.1"))
		target = c.Target(&pl)
	}
	cname, ok := m.Answer[0].(*dns.CNAME)
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != want || !ok || cname.Hdr.Name != q.Name || cname.Target != target ||
		want == 2 && m.Answer[1] != fuzzNextRR {
		t.Fatalf("%s: %v: want the CNAME to %s and the next plugin's answer\n%s", h.name, q, target, m)
	}
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
	want, res := (*index.RRset)(nil), index.Miss
	if len(r.Question) == 1 && r.Question[0].Qclass == dns.ClassINET {
		labels, ok := wireLabels(r.Question[0].Name)
		if !ok {
			t.Fatalf("%s: question name %q does not pack", h.name, r.Question[0].Name)
		}
		if c, zone, res := h.customOracle(labels); c != nil {
			checkCustomReply(t, h, r, m, c, zone, res)
			return
		}
		want, res = h.oracle(labels)
	}
	if res == index.Answer && h.ix.InboundVPC(want) != "" && passed {
		return // an inbound-only endpoint's private name, asked from inside its VPC
	}
	if res == index.Miss {
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
	if wantRcode := map[index.Result]int{index.Answer: dns.RcodeSuccess, index.Nodata: dns.RcodeSuccess, index.NXDomain: dns.RcodeNameError}[res]; m.Rcode != wantRcode {
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
			wantA = h.addrs(want, dns.TypeA)
		}
		if q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY {
			wantAAAA = h.addrs(want, dns.TypeAAAA)
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
		"db.payments.example.com.", "x.DB.payments.example.com.", "orders.cluster-c9xyzexample.ap-northeast-1.rds.amazonaws.com.",
		"db.example.internal.", "api.ecr.us-east-1.amazonaws.com.", "vpce-0b1-bbbb1111.ssm.us-east-1.vpce.amazonaws.com.",
	} {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeANY, dns.TypeTXT, dns.TypeCNAME} {
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
