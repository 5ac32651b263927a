package rpz

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/miekg/dns"
)

const (
	origin  = "vpce.rpz."
	example = "../../../example/snapshot.json"
	// The example's Resource endpoint's custom name and its target.
	orders       = "orders.cluster-c9xyzexample.ap-northeast-1.rds.amazonaws.com."
	ordersTarget = "vpce-0c8d9e0f1a2b3c4d5.rcfg-0aa11bb22cc33dd44.4232ccc.vpc-lattice-rsc.ap-northeast-1.on.aws."
)

func everything([]byte) bool { return true }

// zoneOf is the zone of the snapshot files' view, with serial 1.
func zoneOf(t testing.TB, opts index.Options, files ...string) (*Zone, *index.Index) {
	t.Helper()
	if opts.TTL == 0 {
		opts.TTL = 60
	}
	ix, _ := index.Build(testkit.Compact(t, files...), opts)
	z := New(origin, ix, everything)
	z.SetSerial(1)
	return z, ix
}

// records reads a zone file into its records by owner, each as "TYPE RDATA", sorted.
func records(t testing.TB, text string) (soa *dns.SOA, byOwner map[string][]string) {
	t.Helper()
	byOwner = map[string][]string{}
	zp := dns.NewZoneParser(strings.NewReader(text), origin, "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if s, ok := rr.(*dns.SOA); ok && soa == nil {
			soa = s
			continue
		}
		h := rr.Header()
		byOwner[h.Name] = append(byOwner[h.Name], dns.TypeToString[h.Rrtype]+" "+strings.TrimPrefix(rr.String(), h.String()))
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("the zone does not parse: %v\n%s", err, text)
	}
	for _, rrs := range byOwner {
		slices.Sort(rrs)
	}
	return soa, byOwner
}

// zoneText is the zone as WriteFile writes it.
func zoneText(t testing.TB, z *Zone) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vpce.rpz")
	if _, err := WriteFile(path, z); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// checkZone checks a zone file against the index it was made of, as the plugin answers a client
// it cannot place: every name the index serves (a wildcard as its owner *.apex) holds exactly its
// addresses, a custom name its CNAME, and nothing else is there.
func checkZone(t testing.TB, text string, ix *index.Index) {
	t.Helper()
	soa, got := records(t, text)
	if soa == nil || soa.Hdr.Name != origin {
		t.Fatalf("the zone's first record is not its SOA:\n%s", text)
	}
	if ns := got[origin]; !slices.Equal(ns, []string{"NS localhost."}) {
		t.Errorf("apex records %q, want its NS", ns)
	}
	want := map[string][]string{origin: got[origin]}
	addrsOf := func(rs *index.RRset) []string {
		var out []string
		for _, rrtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
			ix.Addrs(rs, rrtype, 0, nil, func(ip net.IP) { out = append(out, dns.TypeToString[rrtype]+" "+ip.String()) })
		}
		if out == nil {
			t.Fatal("the index serves a name without addresses")
		}
		slices.Sort(out)
		return out
	}
	for e := range ix.Entries() {
		probe := e.Name()
		owner := probe + origin
		if e.Wildcard {
			probe, owner = "rpz-probe-label."+probe, "*."+owner
		}
		if len(owner) > 254 {
			continue
		}
		set, _, res := ix.Lookup([]byte(probe))
		if res != index.Answer {
			t.Fatalf("%s: the index does not answer %s (%s)", owner, probe, res)
		}
		want[owner] = addrsOf(ix.RRset(set))
	}
	for name, c := range ix.CustomNames() {
		if len(name+origin) <= 254 {
			want[name+origin] = []string{"CNAME " + c.Target(nil)}
		}
	}
	for owner, rrs := range want {
		if !slices.Equal(got[owner], rrs) {
			t.Errorf("%s: %q in the zone, want %q", owner, got[owner], rrs)
		}
	}
	for owner, rrs := range got {
		if _, ok := want[owner]; !ok {
			t.Errorf("%s: %q in the zone, which the index does not serve", owner, rrs)
		}
	}
}

func TestZoneOfTheExample(t *testing.T) {
	z, ix := zoneOf(t, index.Options{}, example)
	text := zoneText(t, z)
	checkZone(t, text, ix)
	_, got := records(t, text)
	for owner, want := range map[string][]string{
		// The seed's names: private, regional, zonal.
		"ssm.ap-northeast-1.amazonaws.com.vpce.rpz.":                                                      {"A 172.20.128.22", "A 172.20.144.169"},
		"vpce-0bb20377a387ade86-njczioek.ssm.ap-northeast-1.vpce.amazonaws.com.vpce.rpz.":                 {"A 172.20.128.22", "A 172.20.144.169"},
		"vpce-0bb20377a387ade86-njczioek-ap-northeast-1a.ssm.ap-northeast-1.vpce.amazonaws.com.vpce.rpz.": {"A 172.20.128.22"},
		// S3's wildcard, dualstack STS, and a Resource endpoint's custom name.
		"*.s3.ap-northeast-1.amazonaws.com.vpce.rpz.": {"A 172.20.130.41", "A 172.20.150.7"},
		"sts.ap-northeast-1.amazonaws.com.vpce.rpz.": {"A 172.20.132.90", "A 172.20.148.33",
			"AAAA 2406:da14:abc:8a00:1f2e:3d4c:5b6a:7981", "AAAA 2406:da14:abc:8c00:9e8d:7c6b:5a49:3821"},
		orders + origin: {"CNAME " + ordersTarget},
	} {
		if !slices.Equal(got[owner], want) {
			t.Errorf("%s: %q, want %q", owner, got[owner], want)
		}
	}
	for _, absent := range []string{
		"logs.ap-northeast-1.amazonaws.com.vpce.rpz.", // private DNS off: only its regional names
		"vpce-0a6b7c8d9e0f1a2b3-pending.vpce-svc-0c7c07b604c6f4254.ap-northeast-1.vpce.amazonaws.com.vpce.rpz.",
	} {
		if rrs, ok := got[absent]; ok {
			t.Errorf("%s in the zone: %q", absent, rrs)
		}
	}
}

func TestZoneNames(t *testing.T) {
	// The names the plugin answers in (its zones) only, and none too long under the origin.
	ix, _ := index.Build(testkit.Compact(t, example), index.Options{TTL: 60})
	z := New("VPCE.RPZ", ix, func(name []byte) bool { return strings.HasSuffix(string(name), ".on.aws.") })
	if z.Origin() != origin {
		t.Errorf("origin %q", z.Origin())
	}
	var owners []string
	z.walk(func(r *record) { owners = append(owners, r.owner(z.origin)) })
	if len(owners) == 0 || slices.ContainsFunc(owners, func(o string) bool { return !strings.HasSuffix(o, ".on.aws."+origin) }) {
		t.Errorf("owners: %q", owners)
	}
	long := New(strings.Repeat("x", 63)+"."+strings.Repeat("y", 63)+"."+strings.Repeat("z", 63)+".", ix, everything)
	n := 0
	if tooLong := long.walk(func(r *record) { n++ }); tooLong == 0 || n == 0 {
		t.Errorf("a 192-octet origin: %d records, %d names too long; want some of each", n, tooLong)
	}
}

func TestDigest(t *testing.T) {
	a, _ := zoneOf(t, index.Options{}, example)
	b, _ := zoneOf(t, index.Options{}, example)
	if a.Digest() != b.Digest() {
		t.Error("one view, two digests")
	}
	for name, opts := range map[string]index.Options{
		"another TTL":    {TTL: 30},
		"no private DNS": {PrivateDNS: index.PrivateDNSOff},
	} {
		if c, _ := zoneOf(t, opts, example); c.Digest() == a.Digest() {
			t.Errorf("%s: the digest did not change", name)
		}
	}
	// An endpoint more or less changes it; the order the index lists names in does not matter,
	// which the sum ensures: a view and its reverse-ordered snapshot.
	other, _ := zoneOf(t, index.Options{}, "../testdata/answers.json")
	both, _ := zoneOf(t, index.Options{}, example, "../testdata/answers.json")
	reversed, _ := zoneOf(t, index.Options{}, "../testdata/answers.json", example)
	if both.Digest() == a.Digest() || both.Digest() == other.Digest() || reversed.Digest() != both.Digest() {
		t.Errorf("digests: example %x, answers %x, both %x, both reversed %x", a.Digest(), other.Digest(), both.Digest(), reversed.Digest())
	}
}

func TestTransfer(t *testing.T) {
	z, _ := zoneOf(t, index.Options{}, example)
	z.SetSerial(100)
	collect := func(serial uint32) (rrs []dns.RR) {
		for batch := range z.Transfer(serial) {
			rrs = append(rrs, batch...)
		}
		return rrs
	}
	full := collect(0)
	if len(full) < 4 || full[0].Header().Rrtype != dns.TypeSOA || full[1].Header().Rrtype != dns.TypeNS || full[len(full)-1].Header().Rrtype != dns.TypeSOA {
		t.Fatalf("AXFR: %v", full)
	}
	if got, want := transferText(t, z.Transfer(0)), zoneText(t, z); !sameRecords(t, got, want) {
		t.Errorf("AXFR and the zone file differ:\n%s\n---\n%s", got, want)
	}
	for serial, n := range map[uint32]int{99: len(full), 100: 1, 101: 1, 100 + 1<<31 + 1: len(full)} {
		if got := collect(serial); len(got) != n || got[0].(*dns.SOA).Serial != 100 {
			t.Errorf("IXFR from %d: %d records, want %d", serial, len(got), n)
		}
	}
}

// transferText is a transfer as a zone file: its records without the closing SOA.
func transferText(t testing.TB, ch <-chan []dns.RR) string {
	var rrs []dns.RR
	for batch := range ch {
		rrs = append(rrs, batch...)
	}
	if len(rrs) < 2 || rrs[len(rrs)-1].Header().Rrtype != dns.TypeSOA {
		t.Fatalf("a transfer that does not end with the SOA: %v", rrs)
	}
	var text strings.Builder
	for _, rr := range rrs[:len(rrs)-1] {
		text.WriteString(rr.String() + "\n")
	}
	return text.String()
}

func sameRecords(t testing.TB, a, b string) bool {
	_, ra := records(t, a)
	_, rb := records(t, b)
	return fmt.Sprint(ra) == fmt.Sprint(rb)
}

func TestAnswer(t *testing.T) {
	z, _ := zoneOf(t, index.Options{}, example)
	for _, tc := range []struct {
		name   string
		qtype  uint16
		rcode  int
		answer string // the answer's records, "TYPE RDATA" by ";", else the authority's types
	}{
		{"vpce.rpz.", dns.TypeSOA, dns.RcodeSuccess, "SOA localhost. hostmaster.localhost. 1 60 30 604800 60"},
		{"vpce.rpz.", dns.TypeNS, dns.RcodeSuccess, "NS localhost."},
		{"vpce.rpz.", dns.TypeA, dns.RcodeSuccess, "authority SOA"},
		{"ssm.ap-northeast-1.amazonaws.com.vpce.rpz.", dns.TypeA, dns.RcodeSuccess, "A 172.20.128.22;A 172.20.144.169"},
		{"ssm.ap-northeast-1.amazonaws.com.vpce.rpz.", dns.TypeAAAA, dns.RcodeSuccess, "authority SOA"},
		{"my-bucket.s3.ap-northeast-1.amazonaws.com.vpce.rpz.", dns.TypeA, dns.RcodeSuccess, "A 172.20.130.41;A 172.20.150.7"},
		{orders + origin, dns.TypeA, dns.RcodeSuccess, "CNAME " + ordersTarget},
		{"no-endpoint.ap-northeast-1.amazonaws.com.vpce.rpz.", dns.TypeA, dns.RcodeNameError, "authority SOA"},
	} {
		rcode, answer, authority := z.Answer(tc.name, strings.ToUpper(tc.name), tc.qtype)
		var got []string
		for _, rr := range answer {
			if rr.Header().Name != strings.ToUpper(tc.name) && rr.Header().Rrtype != dns.TypeSOA && rr.Header().Rrtype != dns.TypeNS {
				t.Errorf("%s: owner %s, want the question's", tc.name, rr.Header().Name)
			}
			got = append(got, dns.TypeToString[rr.Header().Rrtype]+" "+strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
		for _, rr := range authority {
			got = append(got, "authority "+dns.TypeToString[rr.Header().Rrtype])
		}
		slices.Sort(got)
		if rcode != tc.rcode || strings.Join(got, ";") != tc.answer {
			t.Errorf("%s %s: %s %q, want %s %q", tc.name, dns.TypeToString[tc.qtype], dns.RcodeToString[rcode], got, dns.RcodeToString[tc.rcode], tc.answer)
		}
	}
}
