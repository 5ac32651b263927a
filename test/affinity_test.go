package test

// Answers by who asks: each client gets its AZ's interfaces, by the subnets learned from
// DescribeSubnets, by zone lines or by a trusted forwarder's EDNS Client Subnet; an inbound-only
// endpoint answers only clients outside its VPC; CoreDNS's view plugin gives client ranges
// their own VPC's endpoints.

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// askFrom asks name (A) from the loopback source address src (127.0.0.x: one "client" each).
func askFrom(t *testing.T, server, src, name string) *dns.Msg {
	t.Helper()
	return testkit.Exchange(t, "udp", server, src, new(dns.Msg).SetQuestion(name, dns.TypeA))
}

// addrsFrom asks name from src as askFrom does and returns the A records in order, or
// "upstream" when the query went on.
func addrsFrom(t *testing.T, server, src, name string) string {
	t.Helper()
	return testkit.Answer(askFrom(t, server, src, name))
}

func subnet(id, vpc, az, cidr string) types.Subnet {
	return types.Subnet{SubnetId: aws.String(id), VpcId: aws.String(vpc), AvailabilityZone: aws.String(az), CidrBlock: aws.String(cidr)}
}

// TestAffinityFromLearnedSubnets: clients in subnet a or b (loopback addresses standing for
// them) get their AZ's interface; an on-premises range by a zone line; a client behind a
// trusted forwarder by its EDNS Client Subnet.
func TestAffinityFromLearnedSubnets(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1", "10.0.2.1", "10.0.3.1"},
		Names: []string{"ssm.us-east-1.amazonaws.com"}})
	fake.PutSubnet(subnet("subnet-a", "vpc-1", "us-east-1a", "127.0.0.2/32"))
	fake.PutSubnet(subnet("subnet-b", "vpc-1", "us-east-1b", "127.0.0.3/32"))
	udp, _ := startLive(t, fake.URL(), "affinity only\n        zone us-east-1c 127.0.0.4/32\n        trusted_forwarder 127.0.0.5")
	const ssm = "ssm.us-east-1.amazonaws.com."
	expectAddrs(t, udp, ssm, "10.0.1.1 10.0.2.1 10.0.3.1") // 127.0.0.1: no known AZ, all
	for src, want := range map[string]string{"127.0.0.2": "10.0.1.1", "127.0.0.3": "10.0.2.1", "127.0.0.4": "10.0.3.1"} {
		if got := addrsFrom(t, udp, src, ssm); got != want {
			t.Errorf("client %s: %q, want %q", src, got, want)
		}
	}
	// Behind the trusted forwarder, the client in subnet b.
	m := new(dns.Msg)
	m.SetQuestion(ssm, dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 32, Address: net.ParseIP("127.0.0.3")})
	if got := testkit.Answer(testkit.Exchange(t, "udp", udp, "127.0.0.5", m)); got != "10.0.2.1" {
		t.Errorf("through the trusted forwarder: %q, want subnet b's 10.0.2.1", got)
	}
	if fake.Calls("DescribeSubnets") == 0 {
		t.Error("subnets were not learned from DescribeSubnets")
	}
}

// TestInboundOnlyS3: an S3 interface endpoint next to a gateway endpoint answers clients from
// outside its VPC, and passes on those inside it, as the inbound resolver would.
func TestInboundOnlyS3(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1"},
		Names: []string{"s3.us-east-1.amazonaws.com", "*.s3.us-east-1.amazonaws.com"}})
	for _, ep := range fake.Snapshot().VpcEndpoints {
		ep.DnsOptions = &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpTypeIpv4, PrivateDnsOnlyForInboundResolverEndpoint: aws.Bool(true)}
		fake.PutEndpoint(ep)
	}
	fake.PutSubnet(subnet("subnet-a", "vpc-1", "us-east-1a", "127.0.0.2/32"))
	udp, _ := startLive(t, fake.URL(), "")
	expectAddrs(t, udp, "bucket.s3.us-east-1.amazonaws.com.", "10.0.1.1") // from 127.0.0.1: outside
	if got := addrsFrom(t, udp, "127.0.0.2", "bucket.s3.us-east-1.amazonaws.com."); got != "upstream" {
		t.Errorf("client inside the VPC: %q, want the public path (upstream)", got)
	}
}

// TestViewsServeDifferentVPCs: CoreDNS's view plugin gives each client range the endpoints of
// its own VPC.
func TestViewsServeDifferentVPCs(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.1.0.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}})
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-02", VPC: "vpc-2", PrivateDNS: true, Addrs: []string{"10.2.0.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}})
	block := func(view, cidr, vpc string) string {
		return fmt.Sprintf(`.:%%s {
    bind 127.0.0.1
    view %s {
        expr incidr(client_ip(), '%s')
    }
    vpce {
        region us-east-1
        aws_endpoint %s
        refresh 100ms
        vpc %s
    }
    forward . UPSTREAM
}
`, view, cidr, fake.URL(), vpc)
	}
	port := fmt.Sprint(testkit.FreePort(t)) // free for UDP and TCP: the two views share it
	corefile := fmt.Sprintf(block("one", "127.0.0.2/32", "vpc-1")+block("two", "127.0.0.3/32", "vpc-2"), port, port)
	udp, _ := startServer(t, corefile)
	testkit.Eventually(t, 10*time.Second, func() error {
		one, two := addrsFrom(t, udp, "127.0.0.2", "ssm.us-east-1.amazonaws.com."), addrsFrom(t, udp, "127.0.0.3", "ssm.us-east-1.amazonaws.com.")
		if one != "10.1.0.1" || two != "10.2.0.1" {
			return fmt.Errorf("view one: %q, view two: %q; want vpc-1's and vpc-2's", one, two)
		}
		return nil
	})
}
