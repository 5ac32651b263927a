package test

// One account, several VPCs, each with its own endpoint for a service: every client gets its
// own VPC's endpoint, as its VPC's Route 53 Resolver answers, told apart by its source
// address (loopback ranges standing for the VPCs' subnets), a client_vpc range, or the Client
// Subnet option of a trusted forwarder in front.

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

const (
	vpcsName = "ssm.us-east-1.amazonaws.com."
	vpcsA    = "10.1.0.10 10.1.1.10" // vpc-0a's ssm endpoint, the older
	vpcsB    = "10.2.0.10 10.2.1.10" // vpc-0b's
	// Clients: in vpc-0a's and vpc-0b's subnets, in vpc-0c's (no endpoint), in the client_vpc
	// range of vpc-0b, and nowhere known.
	srcA, srcB, srcC, srcOnPremB, srcUnknown = "127.0.1.5", "127.0.2.5", "127.0.4.5", "127.0.3.5", "127.0.9.5"
)

// vpcsAccount holds subnets of three VPCs and vpc-0a's ssm endpoint; endpointB adds vpc-0b's.
func vpcsAccount(fake *ec2fake.Server) {
	fake.PutSubnet(subnet("subnet-a", "vpc-0a", "us-east-1a", "127.0.1.0/24"))
	fake.PutSubnet(subnet("subnet-b", "vpc-0b", "us-east-1a", "127.0.2.0/24"))
	fake.PutSubnet(subnet("subnet-c", "vpc-0c", "us-east-1a", "127.0.4.0/24"))
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-0a", VPC: "vpc-0a", PrivateDNS: true, Addrs: []string{"10.1.0.10", "10.1.1.10"},
		Names:   []string{"vpce-0a-aaaa.ssm.us-east-1.vpce.amazonaws.com", "ssm.us-east-1.amazonaws.com"},
		Created: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
}

func endpointB(fake *ec2fake.Server) {
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-0b", VPC: "vpc-0b", PrivateDNS: true, Addrs: []string{"10.2.0.10", "10.2.1.10"},
		Names:   []string{"vpce-0b-bbbb.ssm.us-east-1.vpce.amazonaws.com", "ssm.us-east-1.amazonaws.com"},
		Created: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
}

// vpcsSnapshot writes the account with both endpoints as a snapshot file.
func vpcsSnapshot(t *testing.T) string {
	t.Helper()
	fake := ec2fake.New()
	vpcsAccount(fake)
	endpointB(fake)
	st := fake.Snapshot()
	file := filepath.Join(t.TempDir(), "snapshot.json")
	if _, err := inventory.WriteSnapshot(file, &inventory.Inventory{VpcEndpoints: st.VpcEndpoints,
		NetworkInterfaces: st.NetworkInterfaces, Subnets: st.Subnets}); err != nil {
		t.Fatal(err)
	}
	return file
}

const vpcsCorefile = `.:0 {
    bind BIND
    vpce {
        snapshot SNAPSHOT
        client_vpc vpc-0b 127.0.3.0/24
        trusted_forwarder 127.0.0.1
    }
    forward . UPSTREAM
}`

func startVPCsServer(t *testing.T, bind string) (udp, tcp string) {
	t.Helper()
	return startServer(t, strings.NewReplacer("BIND", bind, "SNAPSHOT", vpcsSnapshot(t)).Replace(vpcsCorefile))
}

func TestClientVPCSnapshot(t *testing.T) {
	udp, tcp := startVPCsServer(t, "127.0.43.1")
	for _, network := range []string{"udp", "tcp"} {
		server := map[string]string{"udp": udp, "tcp": tcp}[network]
		for _, c := range []struct{ src, want string }{
			{srcA, vpcsA},
			{srcB, vpcsB},
			{srcOnPremB, vpcsB},
			{srcC, vpcsA}, // no endpoint in its VPC: the oldest
			{srcUnknown, vpcsA},
		} {
			m := new(dns.Msg).SetQuestion(vpcsName, dns.TypeA)
			if got := testkit.SortedAnswer(testkit.Exchange(t, network, server, c.src, m)); got != c.want {
				t.Errorf("%s from %s: %q, want %q", network, c.src, got, c.want)
			}
		}
	}
}

// TestClientVPCBehindUnbound: Unbound's subnetcache in front sends each client's /24; the
// answers come back scoped to the subnet that decided, so that Unbound's cache hands each VPC's
// clients their own endpoint and never another VPC's.
func TestClientVPCBehindUnbound(t *testing.T) {
	vpce, _ := startVPCsServer(t, "127.0.43.2")
	unbound := subnetcacheUnbound(t, vpce, "vpce-0a-aaaa.ssm.us-east-1.vpce.amazonaws.com.")
	for round := range 2 {
		for _, c := range []struct{ src, want string }{
			{srcB, vpcsB}, // first: without the scope, Unbound would keep B's answer for everyone
			{srcA, vpcsA},
			{"127.0.2.99", vpcsB}, // srcB's /24: from Unbound's cache
			{srcOnPremB, vpcsB},
			{srcUnknown, vpcsA},
		} {
			if got := testkit.SortedAnswer(askFrom(t, unbound, c.src, vpcsName)); got != c.want {
				t.Errorf("round %d, client %s: %q, want %q", round, c.src, got, c.want)
			}
		}
	}
}

// TestClientVPCLive: an endpoint created in vpc-0b shows for vpc-0b's clients within a refresh
// while vpc-0a's keep theirs; deleted, vpc-0b's clients go back to vpc-0a's endpoint.
func TestClientVPCLive(t *testing.T) {
	fake := testkit.StartFake(t)
	vpcsAccount(fake)
	udp, _ := startLive(t, fake.URL(), "client_vpc vpc-0b 127.0.3.0/24")
	expectFrom := func(src, want string) {
		t.Helper()
		testkit.Eventually(t, 10*time.Second, func() error {
			if got := testkit.SortedAnswer(askFrom(t, udp, src, vpcsName)); got != want {
				return fmt.Errorf("from %s: %q, want %q", src, got, want)
			}
			return nil
		})
	}
	expectFrom(srcB, vpcsA)
	endpointB(fake)
	expectFrom(srcB, vpcsB)
	expectFrom(srcOnPremB, vpcsB)
	expectFrom(srcA, vpcsA)
	expectFrom(srcUnknown, vpcsA)
	fake.DeleteEndpoint("vpce-0b")
	expectFrom(srcB, vpcsA)
}
