package test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// The three dig transcripts of the seed article, asked from inside the endpoint's VPC.
var seed = []struct {
	name   string
	answer []string
}{
	{"vpce-0bb20377a387ade86-njczioek.ssm.ap-northeast-1.vpce.amazonaws.com.", []string{
		"vpce-0bb20377a387ade86-njczioek.ssm.ap-northeast-1.vpce.amazonaws.com.\t60\tIN\tA\t172.20.144.169",
		"vpce-0bb20377a387ade86-njczioek.ssm.ap-northeast-1.vpce.amazonaws.com.\t60\tIN\tA\t172.20.128.22",
	}},
	{"vpce-0bb20377a387ade86-njczioek-ap-northeast-1a.ssm.ap-northeast-1.vpce.amazonaws.com.", []string{
		"vpce-0bb20377a387ade86-njczioek-ap-northeast-1a.ssm.ap-northeast-1.vpce.amazonaws.com.\t60\tIN\tA\t172.20.128.22",
	}},
	{"ssm.ap-northeast-1.amazonaws.com.", []string{
		"ssm.ap-northeast-1.amazonaws.com.\t60\tIN\tA\t172.20.144.169",
		"ssm.ap-northeast-1.amazonaws.com.\t60\tIN\tA\t172.20.128.22",
	}},
}

const exampleCorefile = `.:0 {
    bind 127.0.0.1
    vpce {
        snapshot SNAPSHOT
    }
    forward . UPSTREAM
}`

func TestSeedTranscripts(t *testing.T) {
	udp, tcp := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", "../example/snapshot.json"))
	checkSeed(t, "udp", udp, true)
	checkSeed(t, "tcp", tcp, false) // the order has rotated since the first queries
	// Asked again and again, the same records in rotating order.
	third := records(testkit.Query(t, "udp", udp, seed[0].name, dns.TypeA).Answer)
	fourth := records(testkit.Query(t, "udp", udp, seed[0].name, dns.TypeA).Answer)
	if len(third) != 2 || !slices.Equal(third, []string{fourth[1], fourth[0]}) {
		t.Errorf("successive answers %q and %q, want the same two records rotated", third, fourth)
	}
}

// checkSeed asks the seed's three questions over net and checks the replies as dig printed
// them; firstQueries: these are the server's first queries, which keep the interfaces' order.
func checkSeed(t *testing.T, net, addr string, firstQueries bool) {
	t.Helper()
	for _, q := range seed {
		resp := testkit.Query(t, net, addr, q.name, dns.TypeA)
		// ->>HEADER<<- status: NOERROR; flags: qr rd ra; QUERY: 1, ANSWER: n, AUTHORITY: 0, ADDITIONAL: 1
		if resp.Rcode != dns.RcodeSuccess || !resp.Response || !resp.RecursionDesired || !resp.RecursionAvailable ||
			resp.Authoritative || resp.Truncated || resp.AuthenticatedData {
			t.Errorf("%s %s: header %s, want NOERROR with flags qr rd ra", net, q.name, strings.SplitN(resp.String(), "\n", 3)[1])
		}
		if len(resp.Ns) != 0 || len(resp.Extra) != 1 {
			t.Errorf("%s %s: AUTHORITY %d, ADDITIONAL %d, want 0 and 1 (OPT)", net, q.name, len(resp.Ns), len(resp.Extra))
		}
		if opt := resp.IsEdns0(); opt == nil || opt.UDPSize() != 4096 || opt.Version() != 0 {
			t.Errorf("%s %s: OPT %v, want EDNS version 0, udp 4096", net, q.name, opt)
		}
		got, want := records(resp.Answer), q.answer
		if !firstQueries {
			slices.Sort(got)
			want = slices.Sorted(slices.Values(want))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s %s:\nanswer %q\nwant   %q", net, q.name, got, want)
		}
	}
}

func records(rrs []dns.RR) []string {
	var s []string
	for _, rr := range rrs {
		s = append(s, rr.String())
	}
	return s
}

func TestOtherNamesGoUpstream(t *testing.T) {
	udp, _ := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", "../example/snapshot.json"))
	for _, name := range []string{
		"example.org.",
		"ec2.ap-northeast-1.amazonaws.com.",     // no endpoint
		"logs.ap-northeast-1.amazonaws.com.",    // private DNS disabled
		"api.partner.example.com.",              // pendingAcceptance
		"foo.ssm.ap-northeast-1.amazonaws.com.", // under a private name, not authoritative
		"vpce-0123-nope.ssm.ap-northeast-1.vpce.amazonaws.com.",
	} {
		resp := testkit.Query(t, "udp", udp, name, dns.TypeA)
		if len(resp.Answer) != 1 || resp.Answer[0].(*dns.A).A.String() != testkit.UpstreamAddr {
			t.Errorf("%s: answer %v, want the upstream's %s", name, resp.Answer, testkit.UpstreamAddr)
		}
	}
}

func TestSnapshotRewrittenWhileServing(t *testing.T) {
	file := copySnapshot(t)
	udp, _ := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", file))
	const zonal = "vpce-0bb20377a387ade86-njczioek-ap-northeast-1a.ssm.ap-northeast-1.vpce.amazonaws.com."
	if got := addrsOf(t, udp, zonal); got != "172.20.128.22" {
		t.Fatalf("before: %s", got)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The endpoint gets a new address: picked up.
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(string(data), "172.20.128.22", "172.20.128.99")), 0o644); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if got := addrsOf(t, udp, zonal); got != "172.20.128.99" {
			return fmt.Errorf("rewritten snapshot not picked up: %s", got)
		}
		return nil
	})
	// A corrupt version is not: the last good view keeps answering.
	if err := os.WriteFile(file, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // two polls of the file
	if got := addrsOf(t, udp, zonal); got != "172.20.128.99" {
		t.Fatalf("after corruption: %q, want the last good view", got)
	}
}
