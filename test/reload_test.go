package test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	coretest "github.com/coredns/coredns/test"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// TestReloadLeaksNoGoroutines reloads a live server many times (as the reload plugin and
// SIGUSR1 do) and then stops it: the pollers and file watchers of old instances are gone.
func TestReloadLeaksNoGoroutines(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}})
	corefile := func(refresh string) string {
		return fmt.Sprintf(`.:0 {
    bind 127.0.0.1
    vpce {
        region us-east-1 us-west-2
        aws_endpoint %s
        refresh %s
    }
}
example.com:0 {
    bind 127.0.0.1
    vpce {
        snapshot ../example/snapshot.json
    }
}`, fake.URL(), refresh)
	}
	inst, err := coretest.CoreDNSServer(corefile("100ms"))
	if err != nil {
		t.Fatal(err)
	}
	expectAddrs(t, inst.Servers()[0].LocalAddr().String(), "ssm.us-east-1.amazonaws.com.", "10.0.1.1")
	first := len(ours())
	if first == 0 {
		t.Fatal("no plugin goroutines found: the test cannot see a leak")
	}
	for i := range 10 {
		// Alternate the refresh interval: half of the reloads replace the pollers, half keep them.
		if inst, err = inst.Restart(coretest.NewInput(corefile([]string{"200ms", "100ms"}[i%2]))); err != nil {
			t.Fatal(err)
		}
	}
	// A refresh may be in flight at any moment (its connection's goroutines count): a leak
	// is what stays.
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := ours(); len(n) > first {
			return fmt.Errorf("%d plugin goroutines after 10 reloads, %d after the start: they leak\n%s", len(n), first, strings.Join(n, "\n\n"))
		}
		return nil
	})
	inst.Stop()
	inst.ShutdownCallbacks() // as on SIGTERM
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := ours(); len(n) > 0 {
			return fmt.Errorf("%d plugin goroutines after shutdown:\n%s", len(n), strings.Join(n, "\n\n"))
		}
		return nil
	})
}

// ours returns the stacks of the goroutines the plugin runs: its pollers and file watchers,
// and the SDK's connections to the EC2 API.
func ours() []string {
	buf := make([]byte, 4<<20)
	var found []string
	for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "coredns-vpce/plugin/vpce.") || strings.Contains(g, "net/http.(*persistConn)") {
			found = append(found, g)
		}
	}
	return found
}

// TestPollerSharedAcrossBlocks: two server blocks asking the same of the same account make
// the calls of one.
func TestPollerSharedAcrossBlocks(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}})
	block := func(zone string) string {
		return fmt.Sprintf(`%s:0 {
    bind 127.0.0.1
    vpce {
        region us-east-1
        aws_endpoint %s
        refresh 1h
    }
}
`, zone, fake.URL())
	}
	inst, err := coretest.CoreDNSServer(block("amazonaws.com") + block("example.com") + block("."))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { inst.Stop(); inst.ShutdownCallbacks() }()
	testkit.Eventually(t, 5*time.Second, func() error {
		if fake.Calls("DescribeNetworkInterfaces") == 0 {
			return fmt.Errorf("no refresh yet")
		}
		return nil
	})
	time.Sleep(300 * time.Millisecond)
	if e, n := fake.Calls("DescribeVpcEndpoints"), fake.Calls("DescribeNetworkInterfaces"); e != 1 || n != 1 {
		t.Errorf("three blocks made %d DescribeVpcEndpoints and %d DescribeNetworkInterfaces calls, want 1 and 1", e, n)
	}
}
