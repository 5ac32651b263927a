package awsapi

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// fakeAccount points the real SDK client at a running fake, with static test credentials and
// no shared configuration or instance metadata.
func fakeAccount(t testing.TB) (*ec2fake.Server, awscfg.Account) {
	t.Helper()
	return fakeAccountWith(t, nil)
}

// fakeAccountWith is fakeAccount with a hook that the fake calls as each request is answered,
// before the client reads the answer: a test changes the account between two calls of a
// refresh.
func fakeAccountWith(t testing.TB, answered func(*ec2fake.Server, ec2fake.Request)) (*ec2fake.Server, awscfg.Account) {
	t.Helper()
	testkit.SetClientEnv(t)
	fake := ec2fake.New()
	if answered != nil {
		fake.OnRequest(func(r ec2fake.Request) { answered(fake, r) })
	}
	testkit.ServeFake(t, fake)
	return fake, awscfg.Account{Region: "us-east-1", Endpoint: fake.URL(), Retries: 1} // every call counted is one the plugin made
}

func TestFetchCallCounts(t *testing.T) {
	fake, acct := fakeAccount(t)
	q := Query{VPCs: []string{"vpc-1", "vpc-2"}, Filters: []Filter{{Name: "tag-key", Values: []string{"team"}}}}
	client, err := NewClient(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	tagged := func() {
		for _, id := range fake.Snapshot().VpcEndpoints {
			ep := id
			ep.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}
			fake.PutEndpoint(ep)
		}
	}

	for _, tc := range []struct{ endpoints, interfacesEach, wantDVE, wantDNI int }{
		{0, 0, 1, 1},
		{1, 2, 1, 1},
		{1000, 1, 1, 1}, // exactly one full page: no call for an empty second page
		{1001, 1, 2, 2},
		{2500, 2, 3, 5},
	} {
		fake.Load(nil, nil, nil, nil)
		for n := range tc.endpoints {
			addrs := make([]string, tc.interfacesEach)
			for i := range addrs {
				addrs[i] = fmt.Sprintf("10.%d.%d.%d", i, n/250, n%250)
			}
			testkit.PutEndpoint(fake, n, "vpc-1", "", addrs...)
		}
		tagged()
		fake.ResetCalls()
		inv, err := fetchInventory(context.Background(), client, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.VpcEndpoints) != tc.endpoints || len(inv.NetworkInterfaces) != tc.endpoints*tc.interfacesEach {
			t.Errorf("E=%d: fetched %d endpoints, %d interfaces", tc.endpoints, len(inv.VpcEndpoints), len(inv.NetworkInterfaces))
		}
		if got := fake.Calls("DescribeVpcEndpoints"); got != tc.wantDVE {
			t.Errorf("E=%d: %d DescribeVpcEndpoints calls, want ceil(E/1000) = %d", tc.endpoints, got, tc.wantDVE)
		}
		if got := fake.Calls("DescribeNetworkInterfaces"); got != tc.wantDNI {
			t.Errorf("E=%d I=%d: %d DescribeNetworkInterfaces calls, want ceil(I/1000) = %d", tc.endpoints, tc.endpoints*tc.interfacesEach, got, tc.wantDNI)
		}
	}

	// What each call asks for.
	for _, r := range fake.Requests() {
		p := r.Params
		if p.Get("MaxResults") != "1000" {
			t.Errorf("%s: MaxResults %q", r.Action, p.Get("MaxResults"))
		}
		filters := requestFilters(p)
		var want map[string]string
		switch r.Action {
		case "DescribeVpcEndpoints":
			want = map[string]string{"vpc-endpoint-type": "Interface,Resource,ServiceNetwork", "tag-key": "team", "vpc-id": "vpc-1,vpc-2"}
		case "DescribeNetworkInterfaces":
			want = map[string]string{"interface-type": "vpc_endpoint", "vpc-id": "vpc-1,vpc-2"}
			if p.Get("IncludeManagedResources") != "true" {
				t.Errorf("DescribeNetworkInterfaces without IncludeManagedResources=true")
			}
		default:
			t.Errorf("unexpected call %s", r.Action)
		}
		if fmt.Sprint(filters) != fmt.Sprint(want) {
			t.Errorf("%s filters %v, want %v", r.Action, filters, want)
		}
	}
}

// requestFilters reads a request's filters: values joined by commas, by name.
func requestFilters(p url.Values) map[string]string {
	filters := map[string]string{}
	for i := 1; p.Get(fmt.Sprintf("Filter.%d.Name", i)) != ""; i++ {
		var values []string
		for j := 1; p.Get(fmt.Sprintf("Filter.%d.Value.%d", i, j)) != ""; j++ {
			values = append(values, p.Get(fmt.Sprintf("Filter.%d.Value.%d", i, j)))
		}
		filters[p.Get(fmt.Sprintf("Filter.%d.Name", i))] = strings.Join(values, ",")
	}
	return filters
}

func TestFetchFailsWhole(t *testing.T) {
	fake, acct := fakeAccount(t)
	var q Query
	for n := range 4500 {
		testkit.PutEndpoint(fake, n, "vpc-1", "", fmt.Sprintf("10.0.%d.%d", n/250, n%250))
	}
	client, err := NewClient(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"DescribeVpcEndpoints", "DescribeNetworkInterfaces"} {
		fake.Inject(ec2fake.Fault{Action: action, Page: 3, Count: 1, Kind: ec2fake.InternalError})
		inv, err := fetchInventory(context.Background(), client, q, nil)
		if err == nil || inv != nil {
			t.Errorf("%s failing on page 3 of 5: inventory %v, error %v; want no inventory", action, inv != nil, err)
		}
		if err != nil && !strings.Contains(err.Error(), action) {
			t.Errorf("error %q does not name %s", err, action)
		}
	}
	if _, err := fetchInventory(context.Background(), client, q, nil); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	// Over max_endpoints: refused after the page that crossed it, not after all of them.
	q.MaxEndpoints = 1500
	fake.ResetCalls()
	if inv, err := fetchInventory(context.Background(), client, q, nil); err == nil || inv != nil || !strings.Contains(err.Error(), "max_endpoints limit of 1500") {
		t.Errorf("over max_endpoints: %v", err)
	}
	if n := fake.Calls("DescribeVpcEndpoints"); n != 2 {
		t.Errorf("%d pages read over the limit, want 2", n)
	}
}

// TestFetchAssociations: DescribeVpcEndpointAssociations is called only when the account has
// Resource or ServiceNetwork endpoints, for those endpoints' ids, 200 a call, every page of
// 100 followed; each call counts in api_requests_total, and a failure fails the fetch.
func TestFetchAssociations(t *testing.T) {
	fake, acct := fakeAccount(t)
	client, err := NewClient(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	testkit.PutEndpoint(fake, 1, "vpc-1", "", "10.0.0.1")
	if inv, err := fetchInventory(context.Background(), client, Query{}, nil); err != nil || fake.Calls("DescribeVpcEndpointAssociations") != 0 || inv.VpcEndpointAssociations != nil {
		t.Fatalf("interface endpoints only: %v, %d calls", err, fake.Calls("DescribeVpcEndpointAssociations"))
	}
	// 300 service-network endpoints (two batches of ids: 200 and 100), the first with 150
	// associations (two pages), and one Resource endpoint without any.
	for n := range 300 {
		fake.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String(fmt.Sprintf("vpce-sn%03d", n)), VpcEndpointType: "ServiceNetwork", State: "Available"})
	}
	fake.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String("vpce-rsc"), VpcEndpointType: "Resource", State: "Available"})
	for n := range 150 {
		fake.PutAssociation(types.VpcEndpointAssociation{Id: aws.String(fmt.Sprintf("vpce-rsc-asc-%03d", n)), VpcEndpointId: aws.String("vpce-sn000")})
	}
	fake.PutAssociation(types.VpcEndpointAssociation{Id: aws.String("vpce-rsc-asc-last"), VpcEndpointId: aws.String("vpce-sn299")})
	before := testkit.Counted(t, "api_requests_total", "operation", "DescribeVpcEndpointAssociations", "code", "OK")
	fake.ResetCalls()
	inv, err := fetchInventory(context.Background(), client, Query{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.VpcEndpoints) != 302 || len(inv.VpcEndpointAssociations) != 151 {
		t.Errorf("%d endpoints, %d associations; want 302, 151", len(inv.VpcEndpoints), len(inv.VpcEndpointAssociations))
	}
	var batches []int
	for _, r := range fake.Requests() {
		if r.Action != "DescribeVpcEndpointAssociations" {
			continue
		}
		if r.Params.Get("MaxResults") != "100" {
			t.Errorf("MaxResults %q, want 100", r.Params.Get("MaxResults"))
		}
		n := 0
		for r.Params.Has(fmt.Sprintf("VpcEndpointId.%d", n+1)) {
			n++
		}
		batches = append(batches, n)
	}
	if fmt.Sprint(batches) != "[200 200 101]" {
		t.Errorf("endpoint ids per call %v, want [200 200 101] (two pages of the first batch)", batches)
	}
	if got := testkit.Counted(t, "api_requests_total", "operation", "DescribeVpcEndpointAssociations", "code", "OK") - before; got != 3 {
		t.Errorf("api_requests_total counted %v calls, want 3", got)
	}
	fake.Inject(ec2fake.Fault{Action: "DescribeVpcEndpointAssociations", Page: 2, Count: 1, Kind: ec2fake.InternalError})
	if inv, err := fetchInventory(context.Background(), client, Query{}, nil); inv != nil || err == nil || !strings.Contains(err.Error(), "DescribeVpcEndpointAssociations") {
		t.Errorf("a failing page: inventory %v, error %v", inv != nil, err)
	}
}

// fetchInventory is fetch, with what it keeps in the SDK's types (inventory.Compact.Inventory).
func fetchInventory(ctx context.Context, api API, q Query, prev *inventory.Compact) (*inventory.Inventory, error) {
	inv, err := fetch(ctx, api, q, prev, nil)
	if err != nil {
		return nil, err
	}
	return inv.Inventory(), nil
}

// TestSubnetsForSharedNames: subnets are read for the VPCs whose endpoints offer a name another
// VPC's endpoint offers too, and only then (without affinity or inbound-only endpoints).
func TestSubnetsForSharedNames(t *testing.T) {
	fake, acct := fakeAccount(t)
	client, err := NewClient(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	const ssm, logs = "ssm.us-east-1.amazonaws.com", "logs.us-east-1.amazonaws.com"
	subnets := []types.Subnet{
		{SubnetId: aws.String("subnet-1"), VpcId: aws.String("vpc-1"), CidrBlock: aws.String("10.1.0.0/24")},
		{SubnetId: aws.String("subnet-2"), VpcId: aws.String("vpc-2"), CidrBlock: aws.String("10.2.0.0/24")},
	}
	hub := func(n int, vpc string) {
		fake.AddEndpoint(ec2fake.Endpoint{ID: fmt.Sprintf("vpce-%017x", n), VPC: vpc, Service: "com.amazonaws.us-east-1.ssm",
			Addrs: []string{fmt.Sprintf("10.%d.0.10", n)}})
	}
	for _, tc := range []struct {
		name      string
		q         Query
		endpoints func()
		want      string // the vpc-id filter of DescribeSubnets; "" for no call
	}{
		{"one VPC per name", Query{}, func() {
			testkit.PutEndpoint(fake, 1, "vpc-1", ssm, "10.1.0.10")
			testkit.PutEndpoint(fake, 2, "vpc-2", logs, "10.2.0.10")
		}, ""},
		{"a name in two VPCs", Query{}, func() {
			testkit.PutEndpoint(fake, 1, "vpc-1", ssm, "10.1.0.10")
			testkit.PutEndpoint(fake, 2, "vpc-2", ssm, "10.2.0.10")
			testkit.PutEndpoint(fake, 3, "vpc-3", logs, "10.3.0.10")
		}, "vpc-1,vpc-2"},
		{"private DNS off: no name offered", Query{}, func() {
			testkit.PutEndpoint(fake, 1, "vpc-1", "", "10.1.0.10")
			testkit.PutEndpoint(fake, 2, "vpc-2", "", "10.2.0.10")
		}, ""},
		// Hub endpoints serve their service's names: one service in two VPCs is one name.
		{"private_dns all: a service in two VPCs", Query{Services: true}, func() { hub(1, "vpc-1"); hub(2, "vpc-2") }, "vpc-1,vpc-2"},
		{"private_dns enabled: hub endpoints serve no name", Query{}, func() { hub(1, "vpc-1"); hub(2, "vpc-2") }, ""},
	} {
		fake.Load(nil, nil, nil, subnets)
		tc.endpoints()
		fake.ResetCalls()
		inv, err := fetchInventory(context.Background(), client, tc.q, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, r := range fake.Requests() {
			if r.Action == "DescribeSubnets" {
				got = requestFilters(r.Params)["vpc-id"]
			}
		}
		if got != tc.want {
			t.Errorf("%s: DescribeSubnets for %q, want %q", tc.name, got, tc.want)
		}
		if tc.want != "" && len(inv.Subnets) != 2 {
			t.Errorf("%s: %d subnets read, want 2", tc.name, len(inv.Subnets))
		}
	}
}
