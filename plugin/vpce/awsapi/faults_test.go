package awsapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// TestThrottledForFiveMinutes runs the poller against an account that throttles every call for
// five minutes of simulated time: nothing is published meanwhile (the last good view serves),
// the waits grow as throttling demands, few calls are made, and the poller recovers.
func TestThrottledForFiveMinutes(t *testing.T) {
	logs := testkit.CaptureLog(t)
	fake, acct := fakeAccount(t)
	testkit.PutEndpoint(fake, 1, "vpc-1", "one.example.com", "10.0.0.1")

	p := newPoller(acct, Query{}, time.Minute)
	var (
		mu        sync.Mutex
		simulated time.Duration
		waits     []time.Duration
	)
	throttledUntil := 5 * time.Minute
	p.sleep = func(ctx context.Context, d time.Duration) bool {
		mu.Lock()
		if simulated >= throttledUntil { // recovered: the next refresh is the test's end
			mu.Unlock()
			<-ctx.Done()
			return false
		}
		simulated += d
		waits = append(waits, d)
		if simulated >= throttledUntil {
			fake.ClearFaults()
		}
		mu.Unlock()
		return ctx.Err() == nil
	}
	got := make(testkit.InventoryChan, 100)
	p.subscribe(got)
	fake.Inject(ec2fake.Fault{Kind: ec2fake.Throttle}) // from the very first call
	p.start()
	defer p.stop()

	inv := testkit.Receive(t, got)
	p.stop() // a refresh logs after handing its result over: stopped, the loop has logged all
	mu.Lock()
	defer mu.Unlock()
	if len(inv.VpcEndpoints) != 1 || simulated < throttledUntil {
		t.Fatalf("published after %v of throttling, want after %v", simulated, throttledUntil)
	}
	failed := len(waits)
	if failed < 4 || failed > 12 {
		t.Errorf("%d attempts in 5 minutes of throttling (waits %v): want exponential backoff", failed, waits)
	}
	for i := 1; i < failed; i++ {
		if waits[i] < waits[i-1]/2 {
			t.Errorf("wait %d (%v) shorter than half the one before (%v): %v", i, waits[i], waits[i-1], waits)
		}
	}
	if waits[0] < 2*time.Second {
		t.Errorf("first wait after throttling %v, want at least 2s (4s with half of it random)", waits[0])
	}
	out := logs.String()
	if strings.Count(out, "failing") != 1 || strings.Count(out, "recovered") != 1 || !strings.Contains(out, "RequestLimitExceeded") {
		t.Errorf("log, want one failing line naming the throttling and one recovered line:\n%s", out)
	}
}

// TestEndpointGoneMidRefresh: an endpoint deleted between the two Describe calls is listed
// without its interfaces (the plugin's TestEndpointWithoutInterfaces: not served), and the
// refresh does not fail.
func TestEndpointGoneMidRefresh(t *testing.T) {
	fake, acct := fakeAccountWith(t, func(fake *ec2fake.Server, r ec2fake.Request) {
		if r.Action != "DescribeVpcEndpoints" {
			return
		}
		// Answered, before the interfaces are asked for: the endpoint goes, with its interfaces.
		for _, ni := range fake.Snapshot().NetworkInterfaces {
			if strings.HasPrefix(*ni.NetworkInterfaceId, "eni-vpce-00000000000000002") {
				fake.DeleteInterface(*ni.NetworkInterfaceId)
			}
		}
		fake.DeleteEndpoint("vpce-00000000000000002")
	})
	testkit.PutEndpoint(fake, 1, "vpc-1", "stays.example.com", "10.0.0.1")
	testkit.PutEndpoint(fake, 2, "vpc-1", "goes.example.com", "10.0.0.2")
	client, err := NewClient(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := fetchInventory(context.Background(), client, Query{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.VpcEndpoints) != 2 || len(inv.NetworkInterfaces) != 1 {
		t.Fatalf("the race did not happen: %d endpoints, %d interfaces", len(inv.VpcEndpoints), len(inv.NetworkInterfaces))
	}
}

// TestAssociationsEndpointGoneMidRefresh: a ServiceNetwork endpoint deleted between
// DescribeVpcEndpoints and DescribeVpcEndpointAssociations, whose id the latter refuses, does
// not fail the refresh: its batch is read again by filter, which leaves it out.
func TestAssociationsEndpointGoneMidRefresh(t *testing.T) {
	fake, acct := fakeAccountWith(t, func(fake *ec2fake.Server, r ec2fake.Request) {
		if r.Action == "DescribeVpcEndpoints" { // answered, before the associations are asked for
			fake.DeleteAssociation("vpce-0goes-asc")
			fake.DeleteEndpoint("vpce-0goes")
		}
	})
	for _, id := range []string{"vpce-0stays", "vpce-0goes"} {
		fake.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String(id), VpcEndpointType: "ServiceNetwork", State: "Available"})
		fake.PutAssociation(types.VpcEndpointAssociation{Id: aws.String(id + "-asc"), VpcEndpointId: aws.String(id)})
	}
	client, err := NewClient(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := fetchInventory(context.Background(), client, Query{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.VpcEndpoints) != 2 || len(inv.VpcEndpointAssociations) != 1 || *inv.VpcEndpointAssociations[0].Id != "vpce-0stays-asc" {
		t.Fatalf("the race did not happen as planned: %d endpoints, associations %+v", len(inv.VpcEndpoints), inv.VpcEndpointAssociations)
	}
	var calls []string
	for _, r := range fake.Requests() {
		if r.Action == "DescribeVpcEndpointAssociations" {
			calls = append(calls, fmt.Sprintf("%d %s", r.Status, requestFilters(r.Params)))
		}
	}
	if want := []string{"400 map[]", "200 map[vpc-endpoint-id:vpce-0goes,vpce-0stays]"}; !slices.Equal(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
}
