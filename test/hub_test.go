package test

// Endpoints from elsewhere: a hub VPC's endpoints shared with private DNS disabled
// (private_dns all), and the endpoints of several accounts, each polled with its own role.

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

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

	// Each account has its own refresh series: one account's failures do not hide behind the
	// other's successes.
	a.Inject(ec2fake.Fault{Kind: ec2fake.Unauthorized})
	testkit.Eventually(t, 10*time.Second, func() error {
		failedA := testkit.Counted(t, "refreshes_total", "account", roleA, "region", "us-east-1", "result", "failed")
		failedB := testkit.Counted(t, "refreshes_total", "account", roleB, "region", "us-east-1", "result", "failed")
		if failedA == 0 || failedB != 0 {
			return fmt.Errorf("refreshes_total: %v failed for A, %v for B; want A's failures apart from B's", failedA, failedB)
		}
		return nil
	})
}
