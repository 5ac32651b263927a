package test

// Enum values AWS sends before the SDK lists them: the endpoint that has one is left out with
// one warning per value, and everything else serves, from a snapshot and from the EC2 API.

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// checkOnce checks that each of want was logged exactly once.
func checkOnce(t *testing.T, logs *testkit.SyncBuffer, want ...string) {
	t.Helper()
	out := logs.String()
	for _, w := range want {
		if n := strings.Count(out, w+"\n"); n != 1 {
			t.Errorf("logged %d times: %q\n%s", n, w, out)
		}
	}
}

func TestSnapshotUnknownEnums(t *testing.T) {
	logs := testkit.CaptureLog(t)
	udp, _ := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", "../plugin/vpce/testdata/unknown.json"))
	for name, want := range map[string]string{
		"ssm.us-east-1.amazonaws.com.": "10.0.1.10", // IPV4
		"sts.us-east-1.amazonaws.com.": "10.0.1.11", // DUALSTACK
		"future.example.com.":          "upstream",
		"exploding.example.com.":       "upstream",
		"ipv7.example.com.":            "upstream",
		"ipv9.example.com.":            "upstream",
	} {
		if got := addrsOf(t, udp, name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if got := testkit.Answer(testkit.Query(t, "udp", udp, "sts.us-east-1.amazonaws.com.", dns.TypeAAAA)); got != "2600:1f18::b1" {
		t.Errorf("AAAA of the DUALSTACK endpoint: %q", got)
	}
	time.Sleep(1500 * time.Millisecond) // a poll of the unchanged file: no second build
	checkOnce(t, logs,
		`Skipped: vpce-1c and 1 more: unknown VpcEndpointType "FutureType"`,
		`Skipped: vpce-1d: unknown State "Exploding"`,
		`Skipped: vpce-1e: unknown IpAddressType "ipv7"`,
		`Skipped: vpce-1g: unknown DnsOptions.DnsRecordIpType "ipv9"`)
}

func TestLiveUnknownEnums(t *testing.T) {
	fake := testkit.StartFake(t)
	put := func(id, state, ipType, recordType, name, v4, v6 string) {
		eni := "eni-" + id
		fake.PutInterface(types.NetworkInterface{NetworkInterfaceId: aws.String(eni), VpcId: aws.String("vpc-1"),
			InterfaceType: types.NetworkInterfaceTypeVpcEndpoint, AvailabilityZone: aws.String("us-east-1a"),
			PrivateIpAddress: aws.String(v4), Ipv6Address: aws.String(v6), Status: types.NetworkInterfaceStatusInUse})
		ep := types.VpcEndpoint{VpcEndpointId: aws.String(id), VpcEndpointType: types.VpcEndpointTypeInterface, VpcId: aws.String("vpc-1"),
			State: types.State(state), IpAddressType: types.IpAddressType(ipType), PrivateDnsEnabled: aws.Bool(true),
			NetworkInterfaceIds: []string{eni}, DnsEntries: []types.DnsEntry{{DnsName: aws.String(name)}}}
		if recordType != "" {
			ep.DnsOptions = &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpType(recordType)}
		}
		fake.PutEndpoint(ep)
	}
	put("vpce-01", "available", "IPV4", "", "ssm.us-east-1.amazonaws.com", "10.0.1.1", "2600:1f18::1")
	put("vpce-02", "available", "DUALSTACK", "", "sts.us-east-1.amazonaws.com", "10.0.1.2", "2600:1f18::2")
	put("vpce-03", "Exploding", "ipv4", "", "exploding.example.com", "10.0.1.3", "2600:1f18::3")
	put("vpce-04", "available", "ipv7", "", "ipv7.example.com", "10.0.1.4", "2600:1f18::4")
	put("vpce-05", "available", "ipv4", "ipv9", "ipv9.example.com", "10.0.1.5", "2600:1f18::5")
	put("vpce-06", "available", "ipv7", "", "ipv7b.example.com", "10.0.1.6", "2600:1f18::6")
	logs := testkit.CaptureLog(t)
	udp, _ := startLive(t, fake.URL(), "")

	expectAddrs(t, udp, "ssm.us-east-1.amazonaws.com.", "10.0.1.1")
	expectAddrs(t, udp, "sts.us-east-1.amazonaws.com.", "10.0.1.2")
	if got := testkit.Answer(testkit.Query(t, "udp", udp, "sts.us-east-1.amazonaws.com.", dns.TypeAAAA)); got != "2600:1f18::2" {
		t.Errorf("AAAA of the DUALSTACK endpoint: %q", got)
	}
	for _, name := range []string{"exploding.example.com.", "ipv7.example.com.", "ipv7b.example.com.", "ipv9.example.com."} {
		if got := addrsOf(t, udp, name); got != "upstream" {
			t.Errorf("%s: %q, want upstream", name, got)
		}
	}
	time.Sleep(300 * time.Millisecond) // three refreshes of the same inventory: no second build
	checkOnce(t, logs,
		`Skipped: vpce-03: unknown State "Exploding"`,
		`Skipped: vpce-04 and 1 more: unknown IpAddressType "ipv7"`,
		`Skipped: vpce-05: unknown DnsOptions.DnsRecordIpType "ipv9"`)
}
