package awsapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// refresher reads the fake's account through the real SDK client, one Refresh per call of
// the function it returns.
func refresher(t *testing.T, acct awscfg.Account, q Query) func() *inventory.Inventory {
	t.Helper()
	r := NewRefresher(acct, q)
	t.Cleanup(r.Close)
	return func() *inventory.Inventory {
		t.Helper()
		inv, err := r.Refresh(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return inv.Inventory()
	}
}

// putEndpoints adds endpoints from..to-1 of the fake's account, with two interfaces each.
func putEndpoints(fake *ec2fake.Server, from, to int) {
	for n := from; n < to; n++ {
		testkit.PutEndpoint(fake, n, "vpc-1", "", fmt.Sprintf("10.0.%d.%d", n/250, n%250), fmt.Sprintf("10.1.%d.%d", n/250, n%250))
	}
}

// TestRefreshCallCounts: a full listing every FullRefreshEvery refreshes, ceil(E/1000) +
// ceil(I/1000) calls; in between, ceil(E/1000) calls and one per 200 interfaces that are new
// or whose endpoint's addressing changed. Each inventory is what a full listing reads.
func TestRefreshCallCounts(t *testing.T) {
	fake, acct := fakeAccount(t)
	putEndpoints(fake, 0, 2500) // 5000 interfaces
	client, err := NewClient(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	refresh := refresher(t, acct, Query{VPCs: []string{"vpc-1"}, FullRefreshEvery: 3})
	step := func(name string, wantDVE, wantDNI int) {
		t.Helper()
		fake.ResetCalls()
		inv := refresh()
		if got := fake.Calls("DescribeVpcEndpoints"); got != wantDVE {
			t.Errorf("%s: %d DescribeVpcEndpoints calls, want %d", name, got, wantDVE)
		}
		if got := fake.Calls("DescribeNetworkInterfaces"); got != wantDNI {
			t.Errorf("%s: %d DescribeNetworkInterfaces calls, want %d", name, got, wantDNI)
		}
		for _, r := range fake.Requests() {
			f := requestFilters(r.Params)
			if r.Action != "DescribeNetworkInterfaces" || f["network-interface-id"] == "" {
				continue
			}
			if ids := strings.Split(f["network-interface-id"], ","); len(ids) > maxFilterValues || f["interface-type"] != "vpc_endpoint" || len(f) != 2 ||
				r.Params.Get("IncludeManagedResources") != "true" || r.Params.Get("MaxResults") != "1000" {
				t.Errorf("%s: DescribeNetworkInterfaces with %d ids, filters %v, params %v", name, len(ids), f, r.Params)
			}
		}
		full, err := fetchInventory(context.Background(), client, Query{VPCs: []string{"vpc-1"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if inventory.Fingerprint(inventory.NewCompact(inv)) != inventory.Fingerprint(inventory.NewCompact(full)) {
			t.Errorf("%s: the inventory differs from a full listing's: %d endpoints, %d interfaces, want %d, %d", name,
				len(inv.VpcEndpoints), len(inv.NetworkInterfaces), len(full.VpcEndpoints), len(full.NetworkInterfaces))
		}
	}
	step("first (full)", 3, 5)
	step("steady", 3, 0)

	putEndpoints(fake, 2500, 2750) // 500 new interfaces: 3 calls of at most 200
	ep := fake.Snapshot().VpcEndpoints[7]
	ep.IpAddressType, ep.DnsOptions = types.IpAddressTypeDualstack, &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpTypeDualstack}
	fake.PutEndpoint(ep) // its two interfaces are read again, in the last of those calls
	step("250 new endpoints, one changed", 3, 3)
	step("fourth (full)", 3, 6)
	step("steady after the full one", 3, 0)
}

// addresses lists the inventory's interfaces with their addresses, in id order.
func addresses(inv *inventory.Inventory) string {
	var out []string
	for _, ni := range inv.NetworkInterfaces {
		s := aws.ToString(ni.NetworkInterfaceId) + "=" + aws.ToString(ni.PrivateIpAddress)
		for _, a := range ni.Ipv6Addresses {
			s += "," + aws.ToString(a.Ipv6Address)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// TestRefreshSeesDualstack: an endpoint switched from IPv4 to dualstack keeps its interfaces,
// which gain IPv6 addresses; the next refresh, a partial one, reads them again.
func TestRefreshSeesDualstack(t *testing.T) {
	fake, acct := fakeAccount(t)
	testkit.PutEndpoint(fake, 1, "vpc-1", "", "10.0.0.1", "10.0.1.1")
	testkit.PutEndpoint(fake, 2, "vpc-1", "", "10.0.0.2")
	refresh := refresher(t, acct, Query{FullRefreshEvery: 100})
	refresh()
	refresh()

	st := fake.Snapshot()
	ep := st.VpcEndpoints[0]
	ep.IpAddressType, ep.DnsOptions = types.IpAddressTypeDualstack, &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpTypeDualstack}
	for i, ni := range st.NetworkInterfaces[:2] {
		ni.Ipv6Addresses = []types.NetworkInterfaceIpv6Address{{Ipv6Address: aws.String(fmt.Sprintf("2600:1f18::%d", i+1))}}
		fake.PutInterface(ni)
	}
	fake.PutEndpoint(ep)
	fake.ResetCalls()
	inv := refresh()
	want := "eni-vpce-00000000000000001-0=10.0.0.1,2600:1f18::1 eni-vpce-00000000000000001-1=10.0.1.1,2600:1f18::2 eni-vpce-00000000000000002-0=10.0.0.2"
	if got := addresses(inv); got != want {
		t.Errorf("after the switch to dualstack:\n%s\nwant\n%s", got, want)
	}
	if n := fake.Calls("DescribeNetworkInterfaces"); n != 1 {
		t.Errorf("%d DescribeNetworkInterfaces calls, want 1", n)
	}
}

// TestFullRefreshSeesInterfaceChanges: an interface whose address changes while its endpoint
// does not is read again by the next full listing, not before.
func TestFullRefreshSeesInterfaceChanges(t *testing.T) {
	fake, acct := fakeAccount(t)
	testkit.PutEndpoint(fake, 1, "vpc-1", "", "10.0.0.1")
	refresh := refresher(t, acct, Query{FullRefreshEvery: 3})
	refresh()
	ni := fake.Snapshot().NetworkInterfaces[0]
	ni.PrivateIpAddress = aws.String("10.0.0.99")
	fake.PutInterface(ni)
	for i, want := range []string{"10.0.0.1", "10.0.0.1", "10.0.0.99"} {
		if got := addresses(refresh()); got != "eni-vpce-00000000000000001-0="+want {
			t.Errorf("refresh %d: %s, want %s", i+2, got, want)
		}
	}
}

func TestAddressingChanged(t *testing.T) {
	base := func() types.VpcEndpoint {
		return types.VpcEndpoint{
			State: types.StateAvailable, IpAddressType: types.IpAddressTypeIpv4, SubnetIds: []string{"subnet-1"},
			NetworkInterfaceIds: []string{"eni-1"}, DnsOptions: &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpTypeIpv4},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*types.VpcEndpoint)
		want   bool
	}{
		{"nothing", func(*types.VpcEndpoint) {}, false},
		{"tags", func(ep *types.VpcEndpoint) { ep.Tags = []types.Tag{{Key: aws.String("team")}} }, false},
		{"policy", func(ep *types.VpcEndpoint) { ep.PolicyDocument = aws.String("{}") }, false},
		{"private DNS", func(ep *types.VpcEndpoint) { ep.PrivateDnsEnabled = aws.Bool(true) }, false},
		{"state", func(ep *types.VpcEndpoint) { ep.State = types.StatePending }, true},
		{"IpAddressType", func(ep *types.VpcEndpoint) { ep.IpAddressType = types.IpAddressTypeDualstack }, true},
		{"DnsRecordIpType", func(ep *types.VpcEndpoint) { ep.DnsOptions.DnsRecordIpType = types.DnsRecordIpTypeDualstack }, true},
		{"inbound only", func(ep *types.VpcEndpoint) { ep.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint = aws.Bool(true) }, true},
		{"no DnsOptions", func(ep *types.VpcEndpoint) { ep.DnsOptions = nil }, true},
		{"subnets", func(ep *types.VpcEndpoint) { ep.SubnetIds = append(ep.SubnetIds, "subnet-2") }, true},
		{"interfaces", func(ep *types.VpcEndpoint) { ep.NetworkInterfaceIds = []string{"eni-2"} }, true},
	} {
		a, b := base(), base()
		tc.change(&b)
		inv := inventory.NewCompact(&inventory.Inventory{VpcEndpoints: []types.VpcEndpoint{a, b}})
		if got := addressingChanged(&inv.Endpoints[0], &inv.Endpoints[1]); got != tc.want {
			t.Errorf("%s: addressingChanged %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestExportFailsWithoutServices: a refresh serves without the hub services' names when their
// read fails; an export fails instead, naming the call, for an exported snapshot is never
// partial.
func TestExportFailsWithoutServices(t *testing.T) {
	fake, acct := fakeAccount(t)
	// Private DNS disabled: a hub endpoint, whose private names come from its service.
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", Service: "com.amazonaws.us-east-1.ssm",
		Addrs: []string{"10.0.0.1"}, Names: []string{"vpce-01-abc.ssm.us-east-1.vpce.amazonaws.com"}})
	fake.PutService(types.ServiceDetail{ServiceName: aws.String("com.amazonaws.us-east-1.ssm"),
		PrivateDnsName: aws.String("ssm.us-east-1.amazonaws.com")})
	fake.Inject(ec2fake.Fault{Action: "DescribeVpcEndpointServices", Kind: ec2fake.Unauthorized})
	q := Query{Services: true}
	if inv, err := NewRefresher(acct, q).Refresh(context.Background(), nil); err != nil || len(inv.Endpoints) != 1 {
		t.Fatalf("refresh: %v", err)
	}
	if _, err := Export(context.Background(), []awscfg.Account{acct}, q); err == nil || !strings.Contains(err.Error(), "DescribeVpcEndpointServices") {
		t.Fatalf("export: %v, want the services call's error", err)
	}
	fake.ClearFaults()
	if _, err := Export(context.Background(), []awscfg.Account{acct}, q); err != nil {
		t.Fatalf("export without the fault: %v", err)
	}
}
