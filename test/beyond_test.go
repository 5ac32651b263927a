package test

import (
	"fmt"
	"net"
	"strings"
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

// TestHubEndpoints: endpoints with private DNS disabled, shared from a hub VPC, serve their
// services' private names (wildcards too) with private_dns all.
func TestHubEndpoints(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-hub", Service: "com.amazonaws.us-east-1.ssm", Addrs: []string{"10.0.1.1"},
		Names: []string{"vpce-01-abc.ssm.us-east-1.vpce.amazonaws.com"}})
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-02", VPC: "vpc-hub", Service: "com.amazonaws.us-east-1.s3", Addrs: []string{"10.0.1.2"},
		Names: []string{"vpce-02-def.s3.us-east-1.vpce.amazonaws.com"}})
	for svc, names := range map[string][]string{"ssm": {"ssm.us-east-1.amazonaws.com"}, "s3": {"*.s3.us-east-1.amazonaws.com"}} {
		sd := types.ServiceDetail{ServiceName: aws.String("com.amazonaws.us-east-1." + svc), Owner: aws.String("amazon"), PrivateDnsName: aws.String(names[0])}
		for _, n := range names {
			sd.PrivateDnsNames = append(sd.PrivateDnsNames, types.PrivateDnsDetails{PrivateDnsName: aws.String(n)})
		}
		fake.PutService(sd)
	}
	plain, _ := startLive(t, fake.URL(), "")
	hub, _ := startLive(t, fake.URL(), "private_dns all")
	expectAddrs(t, hub, "ssm.us-east-1.amazonaws.com.", "10.0.1.1")
	expectAddrs(t, hub, "my-bucket.s3.us-east-1.amazonaws.com.", "10.0.1.2")
	expectAddrs(t, plain, "vpce-01-abc.ssm.us-east-1.vpce.amazonaws.com.", "10.0.1.1")
	if got := addrsOf(t, plain, "ssm.us-east-1.amazonaws.com."); got != "upstream" {
		t.Errorf("private_dns enabled serves a hub endpoint's private name: %q", got)
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
	port := strings.Split(testkit.FreeAddr(t), ":")[1]
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

// TestGapReport: a query for a service without an endpoint is counted.
func TestGapReport(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1"}, Names: []string{"ecs.us-east-1.amazonaws.com"}})
	prom := testkit.FreeAddr(t)
	udp, _ := startServer(t, fmt.Sprintf(`.:0 {
    bind 127.0.0.1
    prometheus %s
    vpce {
        region us-east-1
        aws_endpoint %s
    }
    forward . UPSTREAM
}`, prom, fake.URL()))
	expectAddrs(t, udp, "ecs.us-east-1.amazonaws.com.", "10.0.1.1")
	for range 3 {
		addrsOf(t, udp, "my-bucket.s3.eu-west-1.amazonaws.com.")
	}
	addrsOf(t, udp, "ec2.us-east-1.api.aws.")
	addrsOf(t, udp, "example.org.")
	_, body := httpGet(t, "http://"+prom+"/metrics")
	for _, series := range []string{
		`coredns_vpce_gap_queries_total{region="eu-west-1",server="dns://127.0.0.1:0",service="s3"} 3`,
		`coredns_vpce_gap_queries_total{region="us-east-1",server="dns://127.0.0.1:0",service="ec2"} 1`,
	} {
		if !strings.Contains(body, series) {
			t.Errorf("/metrics lacks %s\n%s", series, grepLines(body, "gap"))
		}
	}
	// Served names are no gap; the metrics registry is the process's, so ecs is asked only here.
	if strings.Contains(grepLines(body, "gap_queries"), `service="ecs"`) {
		t.Error("a served name counted as a gap")
	}
}

// TestTwoAccountsMerged: two roles, in two accounts, each polled on its own; the views merge,
// and throttling in one account does not delay the other.
func TestTwoAccountsMerged(t *testing.T) {
	fake := testkit.StartFake(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", fake.URL())
	const roleA, roleB = "arn:aws:iam::111111111111:role/vpce-reader", "arn:aws:iam::222222222222:role/vpce-reader"
	fake.AddRole(roleA, "ext-a")
	fake.AddRole(roleB, "")
	a, b := fake.Account("111111111111"), fake.Account("222222222222")
	a.AddEndpoint(ec2fake.Endpoint{ID: "vpce-0a", VPC: "vpc-a", PrivateDNS: true, Addrs: []string{"10.1.0.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}})
	b.AddEndpoint(ec2fake.Endpoint{ID: "vpce-0b", VPC: "vpc-b", PrivateDNS: true, Addrs: []string{"10.2.0.1"}, Names: []string{"sts.us-east-1.amazonaws.com"}})
	udp, _ := startLive(t, fake.URL(), "assume_role "+roleA+" ext-a\n        assume_role "+roleB)
	expectAddrs(t, udp, "ssm.us-east-1.amazonaws.com.", "10.1.0.1")
	expectAddrs(t, udp, "sts.us-east-1.amazonaws.com.", "10.2.0.1")

	a.Inject(ec2fake.Fault{Kind: ec2fake.Throttle})
	b.AddEndpoint(ec2fake.Endpoint{ID: "vpce-1b", VPC: "vpc-b", PrivateDNS: true, Addrs: []string{"10.2.0.2"}, Names: []string{"kms.us-east-1.amazonaws.com"}})
	expectAddrs(t, udp, "kms.us-east-1.amazonaws.com.", "10.2.0.2")                // B refreshes meanwhile
	if got := addrsOf(t, udp, "ssm.us-east-1.amazonaws.com."); got != "10.1.0.1" { // A's last good view
		t.Errorf("throttled account's name: %q", got)
	}
	if a.Calls("DescribeVpcEndpoints") == 0 || b.Calls("DescribeVpcEndpoints") == 0 {
		t.Error("each account was not polled with its own role")
	}
	a.ClearFaults()
	a.DeleteEndpoint("vpce-0a")
	expectAddrs(t, udp, "ssm.us-east-1.amazonaws.com.", "upstream")
}
